// The reading room's one script: an answer streamed as it is written, and a passage opened beside the
// answer scrolled to its quote. Every page works without it (links open whole pages, answers arrive whole).
(function () {
  "use strict";

  function streamAnswer(form, event) {
    if (!window.fetch || !window.ReadableStream || !window.TextDecoder) { return; }
    event.preventDefault();
    var params = new URLSearchParams(new FormData(form));
    var target = document.getElementById("answer");
    target.setAttribute("aria-busy", "true");
    target.textContent = "";
    var text = document.createElement("p");
    text.className = "answer-text streaming";
    target.appendChild(text);
    history.replaceState(null, "", "/ask?" + params.toString());
    fetch(form.dataset.stream + "?" + params.toString(), {headers: {"Accept": "text/event-stream"}})
      .then(function (response) {
        if (!response.ok || !response.body) { window.location = "/ask?" + params.toString(); return; }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { target.removeAttribute("aria-busy"); return; }
            buffer += decoder.decode(chunk.value, {stream: true});
            var events = buffer.split("\n\n");
            buffer = events.pop();
            events.forEach(function (raw) { handle(raw, target, text); });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { window.location = "/ask?" + params.toString(); });
  }

  function handle(raw, target, text) {
    var name = "message", data = "";
    raw.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) { name = line.slice(7); }
      if (line.indexOf("data: ") === 0) { data += line.slice(6); }
    });
    var value = data ? JSON.parse(data) : "";
    if (name === "token") {
      text.textContent += value;
    } else if (name === "html") {
      // the server's own fragment, rendered from the answer with every stored text escaped
      target.innerHTML = value;
      target.removeAttribute("aria-busy");
      if (window.htmx) { window.htmx.process(target); }
    } else if (name === "failure") {
      text.className = "error";
      text.textContent = value;
    }
  }

  function showQuote(root) {
    var mark = root.querySelector("#quote, mark");
    if (mark && mark.scrollIntoView) { mark.scrollIntoView({block: "center"}); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "ask-form" && form.dataset.stream) { streamAnswer(form, event); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "side") {
      showQuote(event.detail.target);
      event.detail.target.focus({preventScroll: true});
    }
  });
})();
