// roster-webconsole's IPC shim: what the Tauri runtime injects into the desktop window, for a
// plain browser. index.html loads it before the app's module script, so @tauri-apps/api
// (core.js, event.js) finds window.__TAURI_INTERNALS__ and works unchanged: every command
// becomes POST /ipc/<cmd> to the roster-webconsole process, which answers with the same Desk
// call as the app's Tauri command. No API key passes here; that process keeps it.
(() => {
  "use strict";

  const callbacks = new Map();
  let nextCallbackId = 1;
  let nextEventId = 1;
  // Event id -> handler callback id, so unlisten drops the handler as Tauri does.
  const listeners = new Map();

  function transformCallback(callback, once = false) {
    const id = nextCallbackId++;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }

  function unregisterCallback(id) {
    callbacks.delete(id);
  }

  function runCallback(id, data) {
    const callback = callbacks.get(id);
    if (callback) callback(data);
  }

  // The app's invoke rejects with the command's AppError; so does this, with the same codes.
  const failure = (code, message) => ({ code, message });

  async function post(cmd, args) {
    let res;
    try {
      res = await fetch("/ipc/" + encodeURIComponent(cmd), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(args ?? {}),
      });
    } catch (e) {
      throw failure("unreachable", `The web console did not answer (${e && e.message ? e.message : e}). Is roster-webconsole still running?`);
    }
    let text;
    try {
      text = await res.text();
    } catch (e) {
      throw failure("unreachable", `The web console's answer to ${cmd} was cut off (${e && e.message ? e.message : e}). Retry.`);
    }
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw failure("bad_response", `The web console answered ${cmd} with ${res.status} and something that is not JSON.`);
      }
    }
    if (res.ok) return body;
    if (body && typeof body === "object" && typeof body.code === "string" && "message" in body) throw body;
    throw failure("server_error", `The web console answered ${cmd} with ${res.status}.`);
  }

  function invoke(cmd, args = {}, _options) {
    if (typeof cmd === "string" && cmd.startsWith("plugin:")) {
      switch (cmd) {
        // The stand-in has no live events (no audit stream, no tray, no accounts-changed push):
        // listen succeeds with a fresh id, so the app starts as usual, and its handler never fires.
        case "plugin:event|listen": {
          const eventId = nextEventId++;
          if (args && typeof args.handler === "number") listeners.set(eventId, args.handler);
          return Promise.resolve(eventId);
        }
        case "plugin:event|unlisten":
          return Promise.resolve(undefined);
        default:
          return Promise.reject(failure("invalid", `${cmd} is not available in the browser stand-in.`));
      }
    }
    return post(cmd, args);
  }

  Object.defineProperty(window, "__TAURI_INTERNALS__", {
    value: Object.freeze({
      invoke,
      transformCallback,
      unregisterCallback,
      runCallback,
      callbacks,
      // No asset protocol in a browser; the address has Tauri's Linux shape and goes nowhere.
      convertFileSrc: (filePath, protocol = "asset") => `${protocol}://localhost/${encodeURIComponent(filePath)}`,
      metadata: Object.freeze({
        currentWindow: Object.freeze({ label: "main" }),
        currentWebview: Object.freeze({ windowLabel: "main", label: "main" }),
      }),
      plugins: Object.freeze({}),
    }),
  });

  // event.js's unlisten calls this before invoking plugin:event|unlisten.
  Object.defineProperty(window, "__TAURI_EVENT_PLUGIN_INTERNALS__", {
    value: Object.freeze({
      unregisterListener(_event, eventId) {
        const handler = listeners.get(eventId);
        listeners.delete(eventId);
        if (handler !== undefined) unregisterCallback(handler);
      },
    }),
  });
  // window.isTauri stays unset: this is not Tauri, and isTauri() should say so.
})();
