// The connection test (facilitation/connection_test.html): a few round trips to the echo
// endpoint, one after another, and their median in milliseconds. The page having loaded is
// already the answer to "does this phone reach the laptop?"; this adds how fast, and says
// plainly when the laptop stops answering. Texts come from the page's data-label-* (gettext).
(function () {
  "use strict";

  var TIMEOUT_MS = 5000;
  var SLOW_MS = 300; // above this a room of phones starts to feel it

  var box = document.getElementById("connection-measure");
  if (!box || !window.fetch || !window.performance) {
    return; // the page itself said the phone arrived
  }
  var result = document.getElementById("connection-result");
  var verdict = document.getElementById("connection-verdict");
  var again = document.getElementById("connection-again");
  var arrived = document.getElementById("connection-arrived");
  var rounds = parseInt(box.dataset.rounds, 10) || 5;

  function label(name, values) {
    var text = box.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  function roundTrip() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    var started = performance.now();
    return fetch(box.dataset.echo, {
      cache: "no-store",
      credentials: "omit",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (response.status !== 204) {
          throw new Error("unexpected status " + response.status);
        }
        return performance.now() - started;
      })
      .finally(function () {
        if (timer) {
          clearTimeout(timer);
        }
      });
  }

  function median(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  function show(state, resultText, verdictText) {
    box.dataset.state = state;
    // "It arrived" no longer holds once the laptop stops answering.
    if (arrived) {
      arrived.hidden = state === "failed";
    }
    result.textContent = resultText;
    verdict.textContent = verdictText || "";
  }

  function measure() {
    var times = [];
    var lost = 0;
    again.hidden = true;
    show("measuring", label("measuring"));
    var chain = Promise.resolve();
    for (var i = 0; i < rounds; i += 1) {
      chain = chain.then(function () {
        return roundTrip().then(
          function (ms) { times.push(ms); },
          function () { lost += 1; }
        );
      });
    }
    chain.then(function () {
      again.hidden = false;
      if (!times.length) {
        show("failed", label("failed"));
        return;
      }
      var ms = Math.max(1, Math.round(median(times)));
      var text = label("result", { ms: ms, n: times.length });
      if (lost) {
        show("slow", text, label("lost", { lost: lost, n: rounds }));
      } else if (ms > SLOW_MS) {
        show("slow", text, label("slow"));
      } else {
        show("good", text, label("good"));
      }
    });
  }

  box.hidden = false;
  again.addEventListener("click", measure);
  measure();
})();
