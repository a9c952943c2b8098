/* The reader's edited programs, kept in this browser (localStorage), one per
 * demo and variant, so that a reload or a later visit finds them again.
 *
 * A draft remembers a hash of the lesson's listing it started from: when the
 * lesson's version changes later, the page can say so instead of silently
 * running an edit of an older program. Storage may be blocked or full
 * (privacy settings, quotas): then drafts simply last as long as the page.
 */

const PREFIX = "code-draft:v1:";

function key(demo, mode) {
  return `${PREFIX}${demo}:${mode}`;
}

/** { code, base, saved } or null: `base` is hashText() of the listing the draft started from. */
export function loadDraft(demo, mode) {
  let raw = null;
  try {
    raw = window.localStorage.getItem(key(demo, mode));
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const draft = JSON.parse(raw);
    if (typeof draft?.code !== "string" || typeof draft.base !== "string") return null;
    return { code: draft.code, base: draft.base, saved: Number(draft.saved) || 0 };
  } catch {
    return null; // written by something else, or cut short: not a draft
  }
}

/** Keeps `code` as the draft of `demo`'s `mode`; false when the browser would not store it. */
export function saveDraft(demo, mode, { code, base }) {
  try {
    window.localStorage.setItem(key(demo, mode), JSON.stringify({ code, base, saved: Date.now() }));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(demo, mode) {
  try {
    window.localStorage.removeItem(key(demo, mode));
  } catch {
    // Nothing was stored, then.
  }
}

/**
 * A short, stable hash of a text (cyrb53): enough to tell one listing from
 * another. Synchronous, unlike crypto.subtle, which plain-http pages lack.
 */
export function hashText(text) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
