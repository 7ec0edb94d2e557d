/* Clinch chat widget: add <script src="https://YOUR-CLINCH/widget.js" defer></script> to a page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/widget.js", window.location.href).origin;
  var title = (script && script.getAttribute("data-title")) || "Ask us anything";
  var session = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(url, base);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  var style = el("style", {}, [
    "#clinch-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;",
    "border-radius:24px;padding:12px 18px;background:#1f4fd1;color:#fff;font:15px sans-serif;cursor:pointer}",
    "#clinch-panel{position:fixed;right:20px;bottom:76px;width:360px;max-height:70vh;display:none;",
    "flex-direction:column;background:#fff;border:1px solid #ccd;border-radius:12px;",
    "box-shadow:0 8px 30px rgba(0,0,0,.2);font:14px sans-serif;z-index:2147483000}",
    "#clinch-panel.open{display:flex}#clinch-log{overflow-y:auto;padding:12px;flex:1}",
    ".clinch-msg{margin:8px 0;white-space:pre-wrap}.clinch-prospect{text-align:right;color:#123}",
    ".clinch-assistant{color:#111}.clinch-cites a,.clinch-actions a{display:inline-block;margin:4px 6px 0 0}",
    "#clinch-form{display:flex;border-top:1px solid #dde}#clinch-input{flex:1;border:0;padding:10px}",
    "#clinch-send{border:0;background:#1f4fd1;color:#fff;padding:0 14px}"
  ].join(""));
  var launcher = el("button", { id: "clinch-launcher", type: "button" }, title);
  var panel = el("div", { id: "clinch-panel", role: "dialog", "aria-label": title });
  var log = el("div", { id: "clinch-log", "aria-live": "polite" });
  var form = el("form", { id: "clinch-form" });
  var input = el("input", { id: "clinch-input", maxlength: "2000", placeholder: "Type a question", "aria-label": "Your question" });
  var send = el("button", { id: "clinch-send", type: "submit" }, "Send");
  form.appendChild(input); form.appendChild(send); panel.appendChild(log); panel.appendChild(form);

  function say(role, text) {
    var node = el("div", { "class": "clinch-msg clinch-" + role }, text);
    log.appendChild(node); log.scrollTop = log.scrollHeight; return node;
  }

  function showAnswer(body) {
    var node = say("assistant", body.answer);
    if (body.citations && body.citations.length) {
      var cites = el("div", { "class": "clinch-cites" });
      body.citations.forEach(function (c) {
        var href = c.url && safeUrl(c.url);
        var label = "[" + c.n + "] " + c.title;
        cites.appendChild(href ? el("a", { href: href, target: "_blank", rel: "noopener" }, label) : el("span", {}, label));
      });
      node.appendChild(cites);
    }
    if (body.actions && body.actions.length) {
      var actions = el("div", { "class": "clinch-actions" });
      body.actions.forEach(function (a) {
        var href = a.url && safeUrl(a.url);
        actions.appendChild(href ? el("a", { href: href, "class": "clinch-action", "data-kind": a.kind }, a.label)
                                 : el("span", { "class": "clinch-action", "data-kind": a.kind }, a.label));
      });
      node.appendChild(actions);
    }
  }

  function request(path, body) {
    var headers = { "Content-Type": "application/json" };
    if (session) { headers.Authorization = "Bearer " + session.token; }
    return fetch(base + path, { method: "POST", headers: headers, body: JSON.stringify(body || {}) })
      .then(function (r) {
        return r.json().then(function (json) {
          if (!r.ok) { throw new Error(typeof json.detail === "string" ? json.detail : "Something went wrong"); }
          return json;
        });
      });
  }

  function ensureSession() {
    if (session) { return Promise.resolve(session); }
    return request("/v1/chat/sessions").then(function (s) { session = s; return s; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = ""; say("prospect", text); send.disabled = true;
    ensureSession()
      .then(function (s) { return request("/v1/chat/sessions/" + encodeURIComponent(s.session_id) + "/messages", { text: text }); })
      .then(showAnswer)
      .catch(function (err) { say("assistant", err.message); })
      .then(function () { send.disabled = false; input.focus(); });
  });
  launcher.addEventListener("click", function () { panel.classList.toggle("open"); input.focus(); });

  function mount() { document.head.appendChild(style); document.body.appendChild(panel); document.body.appendChild(launcher); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mount); } else { mount(); }
})();
