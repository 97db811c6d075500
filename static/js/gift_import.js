// Follows an import that is still running: polls its status, moves the
// progress bar and, once the run ends, reloads the page once to show the
// outcome. (A <meta> refresh would reload the whole page every few
// seconds, losing the reader's place and restarting screen readers.)
(function () {
  "use strict";
  var panel = document.querySelector("[data-import-status-url]");
  if (!panel) return;
  var url = panel.getAttribute("data-import-status-url");
  var bar = panel.querySelector("progress");
  var phase = panel.querySelector("[data-import-phase]");
  var count = panel.querySelector("[data-import-count]");

  function show(state) {
    if (state.finished) {
      window.location.reload();
      return;
    }
    // Only a change of phase is announced (role=status); the count is not.
    if (phase.textContent !== state.phase_text) phase.textContent = state.phase_text;
    count.textContent = state.count_text;
    bar.max = Math.max(state.total_rows, 1);
    if (state.phase === "writing") {
      bar.removeAttribute("value");  // indeterminate: the write has no count to show
    } else {
      bar.value = state.processed_rows;
    }
    window.setTimeout(poll, 1500);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(show)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
