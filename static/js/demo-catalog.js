/* The demos' catalog (titles, parameters with bounds, code), fetched once per
 * page however many widgets it has. */

let pending = null;

export function loadCatalog(url) {
  if (!pending) {
    pending = fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then((response) => {
      if (!response.ok) throw new Error(`the catalog answered HTTP ${response.status}`);
      return response.json();
    });
    // A failed load may be retried by the reader: don't keep the failure.
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}
