// The training worker's entry: loads the worker's module and wasm (`melodeon-worker`, with
// burn; their hashed URLs come in the query, from `spawn_worker` in src/app/training.rs) and
// starts `melodeon_worker`.
// Only URLs of this origin are loaded.
const query = new URL(self.location.href).searchParams;
const own = (name) => {
  const url = new URL(query.get(name) ?? '', self.location.href);
  if (url.origin !== self.location.origin) throw new Error(`worker.js: ${name} is not of this origin`);
  return url.href;
};
const { default: init, melodeon_worker } = await import(own('glue'));
await init({ module_or_path: own('wasm') });
melodeon_worker();
