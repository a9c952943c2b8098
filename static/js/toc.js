/* The lesson's table of contents: folded above the text on narrow screens,
 * and marking the section being read when it sits in the sidebar.
 *
 * The server renders it open, so without JavaScript it is simply a list.
 */

const WIDE = "(min-width: 64rem)";

export function setUpToc(nav) {
  if (!nav) return;
  const details = nav.querySelector("details");
  const wide = window.matchMedia(WIDE);
  // On a phone the contents would push the lesson a screen down: fold them.
  if (details && !wide.matches) details.open = false;
  // Until now CSS kept the list folded on narrow screens (site.css); from here the <details> decides.
  nav.classList.add("toc-ready");
  // Going back to a wide window (rotating a tablet) shows the sidebar again.
  wide.addEventListener("change", () => {
    if (details && wide.matches) details.open = true;
  });
  // Following a link on a phone: fold the list again so the section shows.
  nav.addEventListener("click", (event) => {
    if (details && event.target.closest("a") && !wide.matches) details.open = false;
  });
  followReading(nav);
}

function followReading(nav) {
  const links = new Map();
  for (const link of nav.querySelectorAll('a[href^="#"]')) {
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (target) links.set(target, link);
  }
  if (!links.size || !("IntersectionObserver" in window)) return;
  const visible = new Set();
  const headings = [...links.keys()];
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) visible.add(entry.target);
        else visible.delete(entry.target);
      }
      // The current section is the first heading in view, or, between two
      // headings, the last one scrolled past.
      let current = headings.find((heading) => visible.has(heading));
      if (!current) {
        current = headings.filter((heading) => heading.getBoundingClientRect().top < 0).pop();
      }
      for (const [heading, link] of links) {
        if (heading === current) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    },
    { rootMargin: "0px 0px -55% 0px" },
  );
  headings.forEach((heading) => observer.observe(heading));
}
