/**
 * The only bridge between the sandboxed renderer and the main process: one
 * function per contract method, plus a listener for pushed events. No channel
 * the renderer names itself, no Node or Electron object passed through.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { clientOver, type LayerlabBridge, type LayerlabEvent } from '../shared/contract/api';
import { IPC_EVENT_CHANNEL, ipcChannel, type WireResult } from '../shared/contract/wire';

// Typed as the contract's bridge so that the renderer's `window.layerlab` is what this file exposes.
const bridge: LayerlabBridge = {
  ...clientOver(async (method, args) => {
    const reply = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as WireResult;
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  }),
  onEvent(listener: (event: LayerlabEvent) => void) {
    const wrapped = (_: IpcRendererEvent, event: LayerlabEvent) => listener(event);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('layerlab', bridge);
