/**
 * The only bridge between the sandboxed renderer and the main process: one
 * function per contract method, plus a listener for pushed events. No channel
 * the renderer names itself, no Node or Electron object passed through.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, type LayerlabEvent } from '../shared/contract/api';
import { IPC_EVENT_CHANNEL, ipcChannel, type WireResult } from '../shared/contract/wire';

const bridge: Record<string, unknown> = {};
for (const method of API_METHODS) {
  bridge[method] = async (...args: unknown[]) => {
    const reply = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as WireResult;
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  };
}
bridge.onEvent = (listener: (event: LayerlabEvent) => void) => {
  const wrapped = (_: IpcRendererEvent, event: LayerlabEvent) => listener(event);
  ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
  return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
};

contextBridge.exposeInMainWorld('layerlab', bridge);
