/* A tiny element builder, so the widget code reads like the markup it makes.
 *
 * It refuses "style": a strict Content-Security-Policy (style-src 'self')
 * blocks style attributes; positions are set through CSSOM custom properties
 * (element.style.setProperty), which the policy allows.
 */

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "style") throw new Error("use classes or style.setProperty, not style attributes");
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child);
  }
}

let lastId = 0;

/** An id unique on the page, for label/aria wiring between generated elements. */
export function uniqueId(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/**
 * Makes `element` a tab stop only while its content overflows: keyboard users
 * must be able to scroll it, but a box that does not scroll should not cost
 * them a Tab press.
 */
export function focusableWhileScrolling(element) {
  const update = () => {
    const scrolls = element.scrollWidth > element.clientWidth + 1 || element.scrollHeight > element.clientHeight + 1;
    if (scrolls) element.tabIndex = 0;
    else element.removeAttribute("tabindex");
  };
  if ("ResizeObserver" in window) new ResizeObserver(update).observe(element);
  else element.tabIndex = 0;
}
