import { UserError } from '../../shared/contract/api';
import type { Design, DesignSummary } from '../../shared/contract/designs';
import { summarizeModel } from '../../shared/model/model-math';
import type { SaveDesignRequest } from '../../shared/contract/requests';
import type { Db } from './database';

interface DesignRow {
  id: number;
  name: string;
  model_json: string;
  config_json: string;
  created_at: string;
  updated_at: string;
}

const toDesign = (r: DesignRow): Design => ({
  id: r.id,
  name: r.name,
  model: JSON.parse(r.model_json),
  config: JSON.parse(r.config_json),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Saved designs: the editor's networks kept under a name. */
export class DesignStore {
  constructor(private readonly db: Db) {}

  list(): DesignSummary[] {
    const rows = this.db.prepare(`SELECT * FROM designs ORDER BY updated_at DESC, id DESC`).all() as DesignRow[];
    return rows.map((r) => {
      const d = toDesign(r);
      return { id: d.id, name: d.name, layerCount: d.model.layers.length, totalParams: summarizeModel(d.model).totalParams, updatedAt: d.updatedAt };
    });
  }

  get(id: number): Design {
    const row = this.db.prepare(`SELECT * FROM designs WHERE id = ?`).get(id) as DesignRow | undefined;
    if (!row) throw new UserError(`There is no saved design with id ${id}`);
    return toDesign(row);
  }

  /** By name, case-insensitively; null when there is none. */
  findByName(name: string): Design | null {
    const row = this.db.prepare(`SELECT * FROM designs WHERE name = ?`).get(name.trim()) as DesignRow | undefined;
    return row ? toDesign(row) : null;
  }

  save(request: SaveDesignRequest): Design {
    const now = new Date().toISOString();
    const model = JSON.stringify(request.model);
    const config = JSON.stringify(request.config);
    this.refuseTakenName(request.name, request.id);
    if (request.id === undefined) {
      const info = this.db
        .prepare(`INSERT INTO designs (name, model_json, config_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
        .run(request.name, model, config, now, now);
      return this.get(Number(info.lastInsertRowid));
    }
    this.get(request.id);
    this.db
      .prepare(`UPDATE designs SET name = ?, model_json = ?, config_json = ?, updated_at = ? WHERE id = ?`)
      .run(request.name, model, config, now, request.id);
    return this.get(request.id);
  }

  rename(id: number, name: string): Design {
    this.get(id);
    this.refuseTakenName(name, id);
    this.db.prepare(`UPDATE designs SET name = ?, updated_at = ? WHERE id = ?`).run(name, new Date().toISOString(), id);
    return this.get(id);
  }

  delete(id: number): { deleted: number } {
    this.get(id);
    this.db.prepare(`DELETE FROM designs WHERE id = ?`).run(id);
    return { deleted: id };
  }

  private refuseTakenName(name: string, ownId?: number): void {
    const other = this.findByName(name);
    if (other && other.id !== ownId) throw new UserError(`A design named "${other.name}" already exists; choose another name`);
  }
}
