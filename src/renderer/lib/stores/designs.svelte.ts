/**
 * Saved designs (through the api) and designs as files, plus importing a Keras
 * model: everything that brings a network into the editor from outside or
 * keeps it for later. Loads go through the training form so they are undoable
 * and bring their training settings along.
 */
import type { DesignSummary } from '../../../shared/contract/designs';
import { designFile } from '../../../shared/model/design-file';
import { parseFile } from './parse-file';
import { api } from '../transport/api';
import { fileSafe } from '../download';
import { saveFile } from './files';
import { editor } from './editor.svelte';
import { messageOf } from './errors.svelte';
import { notice } from './notice.svelte';
import { FIELD_LABELS, trainForm, type FieldName } from './train-form.svelte';

export type SaveResult = { ok: true } | { ok: false; message: string };

/** What a save stores, as text, to tell whether anything changed since. */
const keyOf = () => JSON.stringify({ model: $state.snapshot(editor.model), config: trainForm.config });

class Designs {
  list = $state<DesignSummary[]>([]);
  loading = $state(false);
  /** Why the list could not be loaded, shown in the Open dialog. */
  listError = $state<string | null>(null);
  /** A name to offer when saving a network that came from a file. */
  suggestedName = $state('');
  /** The network and settings as last saved or opened, to show "unsaved changes". */
  #savedKey = $state<string | null>(null);

  dirty = $derived(editor.design !== null && this.#savedKey !== keyOf());

  async refresh() {
    this.loading = true;
    try {
      this.list = await api.listDesigns();
      this.listError = null;
    } catch (err) {
      this.listError = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  /** Why the current network cannot be saved (the settings are part of a design), or null. */
  #cannotSave(): string | null {
    if (trainForm.config) return null;
    const invalid = (Object.keys(trainForm.errors) as FieldName[]).filter((f) => trainForm.errors[f] !== null);
    return `Fix the training settings first (${invalid.map((f) => FIELD_LABELS[f]).join(', ')}): a design keeps them with the network.`;
  }

  /** Save under `name` (a new design), or over the design the network is (when `overwrite`). */
  async save(name: string, overwrite: boolean): Promise<SaveResult> {
    const blocked = this.#cannotSave();
    if (blocked || !trainForm.config) return { ok: false, message: blocked ?? 'The training settings are not valid.' };
    const id = overwrite ? editor.design?.id : undefined;
    try {
      const saved = await api.saveDesign({
        ...(id ? { id } : {}),
        name: name.trim(),
        model: $state.snapshot(editor.model),
        config: trainForm.config,
      });
      editor.setDesign({ id: saved.id, name: saved.name });
      this.#savedKey = keyOf();
      notice.show('ok', `Saved as “${saved.name}”.`);
      editor.announce(`Design saved as ${saved.name}`);
      void this.refresh();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  async open(id: number): Promise<SaveResult> {
    try {
      const design = await api.getDesign(id);
      trainForm.loadNetwork(design.model, design.config, `open design ${design.name}`, { id: design.id, name: design.name });
      this.#savedKey = keyOf();
      notice.show('ok', `Opened “${design.name}”.`);
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  async rename(id: number, name: string): Promise<SaveResult> {
    try {
      const renamed = await api.renameDesign(id, name.trim());
      if (editor.design?.id === id) editor.setDesign({ id, name: renamed.name });
      await this.refresh();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  async remove(id: number): Promise<SaveResult> {
    try {
      await api.deleteDesign(id);
      // The network on screen stays; it is simply no longer a saved design.
      if (editor.design?.id === id) editor.setDesign(null);
      await this.refresh();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  /** Download the network and its settings as a design file. */
  exportFile(): SaveResult {
    const blocked = this.#cannotSave();
    if (blocked || !trainForm.config) return { ok: false, message: blocked ?? 'The training settings are not valid.' };
    const name = editor.design?.name ?? (this.suggestedName || 'Untitled network');
    const file = designFile(name, $state.snapshot(editor.model), trainForm.config);
    // The desktop app asks where to save it; browser mode downloads it.
    saveFile({
      name: `${fileSafe(name)}.json`,
      content: `${JSON.stringify(file, null, 2)}\n`,
      mime: 'application/json',
      filterName: 'Layerlab design',
      extensions: ['json'],
    }).catch((err) => notice.show('error', `The design was not exported: ${messageOf(err)}`));
    return { ok: true };
  }

  /** Open a design file exported from Layerlab; the network on screen stays as it is if the file is wrong. */
  async importFile(file: File) {
    try {
      const design = await parseFile('design', file);
      trainForm.loadNetwork(design.model, design.config, `import design file ${file.name}`);
      this.suggestedName = design.name;
      notice.show('ok', `Imported “${design.name}” from ${file.name}. Save it to keep it in the designs list.`);
    } catch (err) {
      notice.show('error', `${file.name} was not imported; the network is unchanged.`, [messageOf(err)]);
      editor.announce(`${file.name} was not imported`);
    }
  }

  /** Import a Keras `model.to_json()` file; on any problem the network on screen stays as it is. */
  async importKeras(file: File) {
    try {
      const { model, warnings } = await parseFile('keras', file);
      trainForm.loadNetwork(model, null, `import Keras model ${file.name}`);
      this.suggestedName = file.name.replace(/\.json$/i, '');
      const layers = `${model.layers.length} ${model.layers.length === 1 ? 'layer' : 'layers'}`;
      notice.show(warnings.length ? 'warn' : 'ok', `Imported ${file.name}: ${layers}.`, warnings);
    } catch (err) {
      notice.show('error', `${file.name} was not imported; the network is unchanged.`, [messageOf(err)]);
      editor.announce(`${file.name} was not imported`);
    }
  }
}

export const designs = new Designs();
