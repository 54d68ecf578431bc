// The page's JavaScript for src/app/offline.rs (wasm-bindgen imports it as a module).
let asked = false;

export function register_offline(on_update) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only after the user took an update (the first install also takes control).
    if (asked) location.reload();
  });
  navigator.serviceWorker.register("sw.js").then((registration) => {
    const offer = () => {
      if (registration.waiting && navigator.serviceWorker.controller) on_update();
    };
    offer();
    registration.addEventListener("updatefound", () => {
      const next = registration.installing;
      next?.addEventListener("statechange", () => { if (next.state === "installed") offer(); });
    });
  }, (error) => console.warn("Offline use is not available here:", error));
}

export function take_update() {
  asked = true;
  navigator.serviceWorker.getRegistration().then((r) => r?.waiting?.postMessage("take-over"));
}
