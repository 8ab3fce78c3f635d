// The interpreter's `diagnose` step: the pure diagnosis over the evidence the
// gather steps returned.
import { log } from '@temporalio/activity';
import type { DiagnoseCall } from '../../model/index.ts';
import { diagnose, type DiagnosisDetail } from './diagnose.ts';

export function createDiagnoseActivities() {
  return {
    async diagnose(call: DiagnoseCall): Promise<DiagnosisDetail> {
      const result = diagnose(call.evidence ?? {}, call.params ?? {});
      try {
        log.info('diagnosis', {
          top: result.hypotheses[0]?.id,
          confidence: result.hypotheses[0]?.confidence,
          failed: result.coverage.failed,
        });
      } catch {
        // outside an activity (tests)
      }
      return result;
    },
  };
}
