// Optional enhancement: while an evaluation runs, poll the JSON API, move the progress bar, and reload the page
// once the evaluation has ended. Without JavaScript a <noscript> meta refresh reloads the page instead.
(function () {
  "use strict";
  const box = document.querySelector("[data-live-evaluation]");
  if (!box) return;
  const id = box.dataset.liveEvaluation;
  const every = 1000 * Number(box.dataset.refreshS || 5);
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-progress-text]");
  async function poll() {
    try {
      const response = await fetch("/api/v1/evaluations/" + encodeURIComponent(id), {headers: {Accept: "application/json"}});
      if (response.ok) {
        const evaluation = await response.json();
        if (evaluation.status !== "queued" && evaluation.status !== "running") {
          window.location.reload();
          return;
        }
        const p = evaluation.progress;
        bar.max = p.shards || 1;
        bar.value = p.done || 0;
        text.textContent = (p.done || 0) + " of " + p.shards + " shards done" +
          (p.running ? ", " + p.running + " running" : "") + "; " + p.images_done + " images so far.";
      }
    } catch (error) {
      // The server may be restarting: try again at the next tick.
    }
    window.setTimeout(poll, every);
  }
  window.setTimeout(poll, every);
})();
