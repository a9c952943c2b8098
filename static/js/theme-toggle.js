/* The header's theme button: switches light and dark and remembers the choice.
 *
 * theme.js has already applied a saved choice before paint; this module only
 * reacts to the button and keeps its pressed state true to what is shown,
 * including when the system theme changes and no choice was saved.
 */

const STORAGE_KEY = "theme";

export function setUpThemeToggle(button) {
  if (!button) return;
  const root = document.documentElement;
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  const shownTheme = () => root.getAttribute("data-theme") || (systemDark.matches ? "dark" : "light");
  const reflect = () => button.setAttribute("aria-pressed", String(shownTheme() === "dark"));

  button.addEventListener("click", () => {
    const next = shownTheme() === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not saved (storage blocked); the choice still holds for this page.
    }
    reflect();
  });
  systemDark.addEventListener("change", reflect);
  // Another tab changed the theme: follow it, so tabs never disagree.
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY) return;
    if (event.newValue === "light" || event.newValue === "dark") root.setAttribute("data-theme", event.newValue);
    else root.removeAttribute("data-theme");
    reflect();
  });
  reflect();
}
