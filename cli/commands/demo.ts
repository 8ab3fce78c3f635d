// `nightshift demo`: the 3 AM scenario on the embedded default (see
// cli/demo/scenario.ts). Leaves nothing running unless --keep.
import { labDown } from '../../lab/index.ts';
import { loadConfig } from '../../worker/index.ts';
import { SCENARIOS } from '../demo/breakages.ts';
import { runDemo } from '../demo/scenario.ts';
import { parse, printJson, UsageError, type Command } from '../command.ts';

export const demoCommand: Command = {
  summary: 'the 3 AM scenario end to end: lab, fault, alert, evidence, diagnosis, Slack approval, recovery, report',
  usage:
    'usage: nightshift demo [--scenario cart-drop|policy] [--keep] [--json]   (as root; --keep leaves the lab, gateway and Slack stand-in up until Ctrl-C)\n' +
    '  --scenario cart-drop  (default) an eBPF fault drops every packet into the cart pods\n' +
    '  --scenario policy     the payment policy as first written is applied over the working one',
  async run(args, io) {
    const { values } = parse(
      args,
      {
        scenario: { type: 'string', default: 'cart-drop' },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      false,
    );
    const scenario = SCENARIOS.find((s) => s === values.scenario);
    if (!scenario)
      throw new UsageError(
        `--scenario: unknown scenario "${values.scenario}" (expected one of ${SCENARIOS.join(', ')})`,
      );
    const config = loadConfig();
    const say = values.json ? (line: string) => io.err(line) : io.out;
    say('nightshift demo: traffic between pods vanishes at 3 AM');
    const running = await runDemo({ config, say, scenario }).catch(async (err: unknown) => {
      say(`the demo failed: ${err instanceof Error ? err.message : String(err)}; tearing the lab down`);
      await labDown(config.dataDir).catch(() => undefined);
      throw err;
    });
    const r = running.result;
    const ok = r.state === 'completed' && r.verified && r.topHypothesis?.id === r.expected;
    if (values.json) printJson(io, { ok, ...r });
    else {
      say('');
      say(
        `${ok ? 'done' : 'not as expected'}: ${r.topHypothesis?.id ?? 'no diagnosis'} named ${r.seconds.toDiagnosis.toFixed(1)} s after it broke ` +
          `(alert at ${r.seconds.toAlert.toFixed(1)} s), fixed with ${r.decision?.option ?? 'nothing'} by ${r.decision?.by ?? 'nobody'}, ` +
          `traffic verified back ${r.seconds.toRecovery.toFixed(1)} s after it broke`,
      );
      say(`report: ${r.reportFiles.join(' and ') || r.report.html}`);
      if (!values.keep)
        say(
          'run `bin/nightshift demo --keep` to look around afterwards (Slack stand-in page, Temporal UI, `nightshift status <run>`)',
        );
      else say(`run ${r.runId}: bin/nightshift status ${r.runId}`);
    }
    if (values.keep) {
      say(
        `kept running: Slack stand-in ${r.slackPage}, Temporal UI ${r.temporalUi}; press Ctrl-C to stop and tear the lab down`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
    await running.stop();
    await labDown(config.dataDir);
    say('lab down: nothing left running');
    return ok ? 0 : 1;
  },
};
