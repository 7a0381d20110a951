/**
 * What the diagnostics say about the runs on screen, and the one finding whose
 * evidence the charts highlight. Findings are derived from a run's record by the
 * shared rules (the CLI prints the same ones), so they follow every pushed epoch.
 */
import { diagnose } from '../../../shared/diagnostics/rules';
import type { Finding } from '../../../shared/diagnostics/findings';
import type { RunDetail } from '../../../shared/contract/runs';
import { nav } from './nav.svelte';
import { problems } from './errors.svelte';
import { runs } from './runs.svelte';
import { trainForm } from './train-form.svelte';

/** The findings of a run's record so far; none before its first epoch. */
export function findingsOf(detail: RunDetail | null): Finding[] {
  if (!detail) return [];
  return diagnose(detail);
}

class Diagnosis {
  /** The finding whose evidence is highlighted, per run. */
  focused = $state<Record<number, Finding | null>>({});
  /** Runs being started from a finding's fix, so a double press starts one. */
  starting = $state<string[]>([]);

  focus(runId: number, finding: Finding | null) {
    this.focused[runId] = finding;
  }

  /** "Train again with this fix": the fixed network and settings as a new run, linked to its parent; the Train view shows it. */
  async trainWithFix(run: RunDetail, finding: Finding): Promise<void> {
    const suggestion = finding.suggestion;
    if (!suggestion) return;
    const key = `${run.id}:${finding.kind}`;
    if (this.starting.includes(key)) return;
    this.starting.push(key);
    try {
      const started = await trainForm.trainFix(run, finding.kind, suggestion);
      if (started) nav.view = 'train';
    } catch (err) {
      problems.report(`Training run #${run.id} again with the fix`, err);
    } finally {
      this.starting = this.starting.filter((k) => k !== key);
    }
  }

  /** The runs trained from this one with a fix, oldest first. */
  childrenOf(runId: number) {
    return runs.list.filter((r) => r.parentRunId === runId).sort((a, b) => a.id - b.id);
  }
}

export const diagnosis = new Diagnosis();
