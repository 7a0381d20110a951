import { UserError, type ApiMethod } from '../shared/contract/api';
import { apiArgs } from '../shared/contract/api-args';
import { describeIssues } from '../shared/model/schemas';
import type { WireResult } from '../shared/contract/wire';
import type { LayerlabService } from './layerlab-service';

const METHODS = new Set(Object.keys(apiArgs));

/**
 * The one door from a window into the core, shared by both transports: the
 * method must be in the contract and its arguments must fit the schema before
 * a service sees them. Never throws: a bad call gets a message, not a crash.
 */
export async function dispatch(service: LayerlabService, method: unknown, args: unknown): Promise<WireResult> {
  if (typeof method !== 'string' || !METHODS.has(method)) {
    return { ok: false, error: `Unknown operation ${JSON.stringify(method)}` };
  }
  const name = method as ApiMethod;
  // The path's first part is the argument's position; the user knows the argument by its fields.
  const parsed = apiArgs[name].safeParse(Array.isArray(args) ? args : [args]);
  if (!parsed.success) {
    return { ok: false, error: `Invalid arguments for ${name}: ${describeIssues(parsed.error, 1)}` };
  }
  try {
    const fn = service[name] as (...a: unknown[]) => unknown;
    const result = await fn(...(parsed.data as unknown[]));
    return { ok: true, result };
  } catch (e) {
    if (e instanceof UserError) return { ok: false, error: e.message };
    console.error(`${name} failed:`, e);
    return { ok: false, error: `${name} failed unexpectedly: ${(e as Error)?.message ?? String(e)}` };
  }
}
