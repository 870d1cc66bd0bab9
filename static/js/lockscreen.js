// Lock screen: full screen on the candidate's click, and one "leave" per leave episode.
// Leaving full screen, hiding the tab and losing window focus often come together (a blur
// followed by fullscreenchange): the first one starts an episode, the others belong to it. The
// episode ends when the page is visible, focused and in full screen again.

export function fullscreenSupported() {
  return Boolean(document.fullscreenEnabled || document.webkitFullscreenEnabled);
}

export function isFullscreen() {
  return Boolean(document.fullscreenElement || document.webkitFullscreenElement);
}

export async function enterFullscreen() {
  const element = document.documentElement;
  try {
    if (element.requestFullscreen) {
      await element.requestFullscreen({ navigationUI: "hide" });
    } else if (element.webkitRequestFullscreen) {
      element.webkitRequestFullscreen();
    } else {
      return false;
    }
  } catch {
    return false;
  }
  return true;
}

export class LeaveWatcher {
  constructor({ onLeave = () => {}, onChange = () => {} }) {
    this.onLeave = onLeave;
    this.onChange = onChange;
    this.active = false;
    this.away = false;
    this.focused = true;
    this.wasFullscreen = isFullscreen();
    this.unloading = false;
    this.supported = fullscreenSupported();
    this.listeners = [
      [document, "fullscreenchange", () => this.fullscreenChanged()],
      [document, "webkitfullscreenchange", () => this.fullscreenChanged()],
      [document, "visibilitychange", () => this.visibilityChanged()],
      [window, "blur", () => this.blurred()],
      [window, "focus", () => this.focusedAgain()],
      // Our own navigation (submit, reload, language switch) is not a leave.
      [window, "pagehide", () => { this.unloading = true; }],
      [window, "beforeunload", () => { this.unloading = true; }],
      [window, "pageshow", () => { this.unloading = false; }],
    ];
  }

  start() {
    if (this.active) return this;
    this.active = true;
    for (const [target, name, handler] of this.listeners) target.addEventListener(name, handler);
    return this;
  }

  stop() {
    this.active = false;
    for (const [target, name, handler] of this.listeners) target.removeEventListener(name, handler);
  }

  // The page must ask for full screen (overlay with a button) when this is true.
  get needsFullscreen() {
    return this.active && this.supported && !isFullscreen();
  }

  fullscreenChanged() {
    if (isFullscreen()) {
      this.wasFullscreen = true;
      this.maybeBack();
    } else {
      if (this.wasFullscreen) this.leave("fullscreen_exit");
      this.wasFullscreen = false;
    }
    this.onChange();
  }

  // Called when our own requestFullscreen() resolved: its fullscreenchange event may come later.
  entered() {
    if (!isFullscreen()) return;
    this.wasFullscreen = true;
    this.maybeBack();
  }

  visibilityChanged() {
    if (document.visibilityState === "hidden") {
      this.leave("tab_hidden");
    } else {
      this.maybeBack();
    }
    this.onChange();
  }

  blurred() {
    this.focused = false;
    this.leave("focus_loss");
  }

  focusedAgain() {
    this.focused = true;
    this.maybeBack();
    this.onChange();
  }

  leave(cause) {
    if (!this.active || this.unloading || this.away) return;
    this.away = true;
    this.onLeave(cause);
  }

  maybeBack() {
    const visible = document.visibilityState !== "hidden";
    if (this.focused && visible && (!this.supported || isFullscreen())) this.away = false;
  }
}
