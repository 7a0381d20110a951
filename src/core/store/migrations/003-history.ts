import type { Database } from 'better-sqlite3';

/**
 * Run history at scale: notes, stars and tags; the per-run figures the runs
 * table shows kept on the run row (so listing 10,000 runs reads one table);
 * saved comparisons; where a completed run's trained model is kept.
 */
export const version = 3;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN architecture TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN model_path TEXT;
    ALTER TABLE runs ADD COLUMN epochs_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN best_val_accuracy REAL;
    ALTER TABLE runs ADD COLUMN best_epoch INTEGER;
    ALTER TABLE runs ADD COLUMN final_val_accuracy REAL;
    ALTER TABLE runs ADD COLUMN final_val_loss REAL;

    UPDATE runs SET
      epochs_done = (SELECT COUNT(*) FROM epochs e WHERE e.run_id = runs.id),
      best_val_accuracy = (SELECT MAX(val_accuracy) FROM epochs e WHERE e.run_id = runs.id),
      best_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_accuracy IS NOT NULL
                    ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1),
      final_val_accuracy = (SELECT val_accuracy FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1),
      final_val_loss = (SELECT val_loss FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1);

    CREATE INDEX runs_starred ON runs (starred) WHERE starred = 1;
    CREATE INDEX runs_optimizer ON runs (optimizer);

    CREATE TABLE run_tags (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      tag    TEXT    NOT NULL COLLATE NOCASE,
      PRIMARY KEY (run_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX run_tags_tag ON run_tags (tag);

    CREATE TABLE comparisons (
      id           INTEGER PRIMARY KEY AUTOINCREMENT,
      name         TEXT NOT NULL COLLATE NOCASE UNIQUE,
      run_ids_json TEXT NOT NULL,
      options_json TEXT NOT NULL DEFAULT '{}',
      created_at   TEXT NOT NULL,
      updated_at   TEXT NOT NULL
    );
  `);
  const setArchitecture = db.prepare(`UPDATE runs SET architecture = ? WHERE id = ?`);
  for (const row of db.prepare(`SELECT id, model_json FROM runs`).all() as { id: number; model_json: string }[]) {
    let text = '';
    try {
      text = architectureSummaryAsOf003(JSON.parse(row.model_json));
    } catch {
      // A run whose spec can't be read keeps an empty summary rather than failing the upgrade.
    }
    setArchitecture.run(text, row.id);
  }
}

/**
 * A frozen copy of shared/model/architecture.ts's architectureSummary as it was
 * when this migration was written: what an upgrade writes must not change when
 * the live summary does. Do not edit; a new wording belongs in a new migration.
 * The layer type is loose because a stored spec is whatever an old version saved.
 */
interface StoredLayer {
  type: string;
  units?: number;
  activation?: string;
  filters?: number;
  rate?: number;
  targetShape?: number[];
}

function architectureSummaryAsOf003(spec: { layers: StoredLayer[] }): string {
  const runs = <T>(xs: T[], same: (a: T, b: T) => boolean): T[][] =>
    xs.reduce<T[][]>((acc, x) => {
      const last = acc[acc.length - 1];
      if (last && same(last[last.length - 1], x)) last.push(x);
      else acc.push([x]);
      return acc;
    }, []);
  const layerWord = (l: StoredLayer): string => {
    switch (l.type) {
      case 'Conv2D':
        return `Conv ${l.filters}`;
      case 'MaxPooling2D':
        return 'MaxPool';
      case 'Dropout':
        return `Dropout ${l.rate}`;
      case 'BatchNormalization':
        return 'BatchNorm';
      case 'Activation':
        return l.activation!;
      case 'Reshape':
        return `Reshape ${l.targetShape!.join('×')}`;
      default:
        return l.type;
    }
  };
  const layers = spec.layers.filter((l) => l.type !== 'Flatten');
  const hidden = layers.length > 1 && layers[layers.length - 1].type === 'Dense' ? layers.slice(0, -1) : layers;
  if (hidden.length === 0) return layers.length ? 'Dense output only' : 'empty';
  const groups = runs(hidden, (a, b) => a.type === 'Dense' && b.type === 'Dense');
  return groups
    .map((g) => {
      if (g[0].type !== 'Dense') return layerWord(g[0]);
      const acts = runs(
        g.map((d) => d.activation),
        (a, b) => a === b,
      ).map((r) => (r.length > 1 ? `${r[0]}×${r.length}` : r[0]));
      return `Dense ${g.map((d) => d.units).join('-')} ${acts.length === 1 ? g[0].activation : acts.join(', ')}`;
    })
    .join(' → ');
}
