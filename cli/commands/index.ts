// Every CLI command, by name. Add a command here and in its own file.
import type { Command } from '../command.ts';
import { demoCommand } from './demo.ts';
import { devCommand } from './dev.ts';
import { gamedayCommand } from './gameday.ts';
import { agentCommand, faultCommand } from './fault.ts';
import { gatewayCommand } from './gateway.ts';
import { labCommand } from './lab.ts';
import { policyCommand } from './policy.ts';
import { reportCommand } from './report.ts';
import { runCommand } from './run.ts';
import { runbookCommand } from './runbook.ts';
import { slackStandinCommand } from './slack-standin.ts';
import { abortCommand, decideCommand, statusCommand } from './status.ts';
import { workerCommand } from './worker.ts';

export const commands: Record<string, Command> = {
  demo: demoCommand,
  lab: labCommand,
  dev: devCommand,
  run: runCommand,
  status: statusCommand,
  decide: decideCommand,
  abort: abortCommand,
  runbook: runbookCommand,
  worker: workerCommand,
  gateway: gatewayCommand,
  gameday: gamedayCommand,
  report: reportCommand,
  'slack-standin': slackStandinCommand,
  policy: policyCommand,
  fault: faultCommand,
  agent: agentCommand,
};
