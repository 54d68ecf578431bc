// The page's JavaScript for src/app/training.rs (wasm-bindgen imports it as a module).
export function spawn_worker() {
  // The worker's own module and wasm (named in index.html's meta tags by the build), handed
  // to the static worker script (the Content-Security-Policy allows workers from 'self' only).
  const named = (name) => new URL(document.querySelector(`meta[name="${name}"]`).content, document.baseURI).href;
  const url = new URL("worker.js", document.baseURI);
  url.searchParams.set("glue", named("melodeon-worker-module"));
  url.searchParams.set("wasm", named("melodeon-worker-wasm"));
  return new Worker(url, { type: "module", name: "melodeon-training" });
}

