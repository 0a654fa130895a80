// Colour modes (Bootstrap 5.3): light, dark or the system's, remembered per browser.
// Loaded in <head> without `defer`, so the page is painted in the chosen mode from the start.
(() => {
  const KEY = "colour-mode";
  const MODES = ["light", "dark", "auto"];
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const mode = window.localStorage.getItem(KEY);
      return MODES.includes(mode) ? mode : "auto";
    } catch {
      return "auto"; // storage refused (private mode, policy): follow the system
    }
  }

  function apply(mode) {
    const resolved = mode === "auto" ? (systemDark.matches ? "dark" : "light") : mode;
    document.documentElement.setAttribute("data-bs-theme", resolved);
    document.querySelectorAll("[data-colour-mode]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.colourMode === mode));
    });
    const current = document.getElementById("colour-mode-current");
    if (current) current.textContent = { light: "Light", dark: "Dark", auto: "System" }[mode];
  }

  apply(stored());
  systemDark.addEventListener("change", () => apply(stored()));
  document.addEventListener("DOMContentLoaded", () => apply(stored()));
  // A history restore redraws the page's buttons: mark the current mode on them again.
  document.addEventListener("htmx:load", () => apply(stored()));
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-colour-mode]");
    if (!button) return;
    try {
      window.localStorage.setItem(KEY, button.dataset.colourMode);
    } catch {
      // Not remembered; the choice still applies to this page.
    }
    apply(button.dataset.colourMode);
  });
})();
