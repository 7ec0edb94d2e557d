/* Clinch chat widget: add <script src="https://YOUR-CLINCH/widget.js" defer></script> to a page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/widget.js", window.location.href).origin;
  var title = (script && script.getAttribute("data-title")) || "Ask us anything";
  var session = null;
  var lastId = 0;
  var polling = null;
  var POLL_MS = 2500;

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
    "#clinch-send{border:0;background:#1f4fd1;color:#fff;padding:0 14px}",
    ".clinch-rep{color:#0a5c36}.clinch-rep b{display:block;font-size:12px}",
    ".clinch-system{color:#667;font-style:italic;text-align:center;font-size:12px}",
    ".clinch-buttons button{margin:4px 6px 0 0;border:1px solid #1f4fd1;background:#fff;color:#1f4fd1;",
    "border-radius:12px;padding:4px 10px;cursor:pointer}"
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

  function buttons(node, items) {
    var row = el("div", { "class": "clinch-buttons" });
    items.forEach(function (item) {
      var button = el("button", { type: "button", "class": item.cls }, item.label);
      Object.keys(item.data || {}).forEach(function (k) { button.setAttribute("data-" + k, item.data[k]); });
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.disabled = true; });
        item.onClick().catch(function (err) {
          say("assistant", err.message);
          Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.disabled = false; });
        });
      });
      row.appendChild(button);
    });
    node.appendChild(row);
  }

  function sessionPath(suffix) { return "/v1/chat/sessions/" + encodeURIComponent(session.session_id) + suffix; }

  function slotLabel(slot) {
    var start = new Date(slot.start);
    return isNaN(start.getTime()) ? slot.start : start.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function showSlots(node, action) {
    buttons(node, action.slots.map(function (slot) {
      return {
        cls: "clinch-slot", label: slotLabel(slot), data: { start: slot.start, rep: String(slot.rep_id) },
        onClick: function () {
          return request(sessionPath("/meetings"), { rep_id: slot.rep_id, start: slot.start })
            .then(function (booked) { say("assistant", booked.confirmation); });
        }
      };
    }));
  }

  function showConsent(node) {
    buttons(node, [true, false].map(function (granted) {
      return {
        cls: "clinch-consent", label: granted ? "Yes" : "No", data: { granted: String(granted) },
        onClick: function () {
          say("prospect", granted ? "Yes" : "No");
          return request(sessionPath("/consent"), { purpose: "email", granted: granted })
            .then(function (recorded) { say("assistant", recorded.text); });
        }
      };
    }));
  }

  function showAnswer(body) {
    if (!body.answer) { return; } // a rep holds the chat: their messages arrive by polling
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
      body.actions.forEach(function (a) { if (a.kind === "book_meeting" && a.slots && a.slots.length) { showSlots(node, a); } });
    }
    if (body.asked === "email_consent") { showConsent(node); }
  }

  function showPolled(messages) {
    messages.forEach(function (m) {
      lastId = Math.max(lastId, m.id);
      if (m.role === "rep") {
        var node = say("rep", "");
        node.appendChild(el("b", {}, (m.meta && m.meta.rep_name) || "Our team"));
        node.appendChild(document.createTextNode(m.text));
      } else if (m.role === "system") {
        say("system", m.text);
      }
    });
  }

  function poll() {
    if (!session || !panel.classList.contains("open")) { return; }
    fetch(base + sessionPath("/messages?after=" + lastId), { headers: { Authorization: "Bearer " + session.token } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(showPolled)
      .catch(function () { /* the next poll tries again */ });
  }

  function startPolling() { if (!polling) { polling = window.setInterval(poll, POLL_MS); } }

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
    return request("/v1/chat/sessions").then(function (s) { session = s; startPolling(); return s; });
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
