/* Clinch rep inbox: the rep's leads by score, their actions, the team queue, chat takeover. */
(function () {
  "use strict";
  var KEY = "clinch.inbox.key";
  var REFRESH_MS = 4000;
  var CHAT_POLL_MS = 2500;
  var skew = 0; // server clock minus this browser's, for SLA countdowns
  var me = null;
  var chat = null; // {sessionId, lastId, timer}
  var errorFrom = null; // "refresh" | "action": refresh errors clear on the next good refresh
  var $ = ClinchStaff.$;
  var el = ClinchStaff.el;
  var staff = ClinchStaff.keyed(KEY);
  var api = staff.api;

  function showError(message, from) {
    errorFrom = from;
    $("inbox-error-text").textContent = message;
    $("inbox-error").hidden = false;
  }

  function clearError(from) {
    if (from === undefined || errorFrom === from) { $("inbox-error").hidden = true; errorFrom = null; }
  }

  function notice(text) {
    $("inbox-notice").textContent = text;
    $("inbox-notice").hidden = !text;
  }

  function pct(p) { return p < 0.005 ? "<1%" : Math.round(p * 100) + "%"; }

  function clock(seconds) {
    var s = Math.max(0, Math.round(Math.abs(seconds)));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function slaText(node) {
    var status = node.getAttribute("data-status"), due = node.getAttribute("data-due");
    if (status === "met") { return "SLA met"; }
    if (status === "late") { return "accepted after the SLA"; }
    if (!due || (status !== "pending" && status !== "overdue")) { return ""; }
    var left = (Date.parse(due) - (Date.now() + skew)) / 1000;
    node.classList.toggle("overdue", left <= 0);
    return left > 0 ? "SLA " + clock(left) + " left" : "SLA overdue by " + clock(left);
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".inbox-sla"), function (node) {
      node.textContent = slaText(node);
    });
  }

  function list(cls, items) {
    var ul = el("ul", { "class": cls });
    items.forEach(function (text) { ul.appendChild(el("li", {}, text)); });
    return ul;
  }

  function act(promise, after) {
    clearError("action");
    return promise.then(function (body) {
      if (after) { after(body); }
      refresh();
    }).catch(function (error) { showError(error.message, "action"); });
  }

  function post(leadId, action, body) {
    return api("POST", "/v1/reps/me/leads/" + leadId + "/" + action, body);
  }

  function markState(card, body) {
    var state = body && body.assignment && body.lead_id === Number(card.getAttribute("data-lead-id"))
      ? body.assignment.state : null;
    if (state) {
      card.setAttribute("data-state", state);
      card.querySelector(".inbox-state").textContent = state;
    }
  }

  function reasonForm(card, lead, action) {
    var open = card.querySelector(".inbox-reason");
    if (open) { open.remove(); }
    var form = el("form", { "class": "inbox-reason", "data-action": action });
    var label = action === "lost" ? "Why was it lost?" : "Why hand it on?";
    form.appendChild(el("label", { "for": "reason-" + lead.lead_id }, label));
    var reason = el("textarea", { id: "reason-" + lead.lead_id, name: "reason", maxlength: "1000" });
    form.appendChild(reason);
    var to = null;
    if (action === "reassign") {
      form.appendChild(el("label", { "for": "to-" + lead.lead_id }, "To (a rep's email; empty: the next matching rep)"));
      to = el("input", { id: "to-" + lead.lead_id, name: "to", type: "email" });
      form.appendChild(to);
    }
    var row = el("div", { "class": "inbox-actions" });
    row.appendChild(el("button", { type: "submit" }, action === "lost" ? "Mark lost" : "Re-assign"));
    var cancel = el("button", { type: "button", "class": "inbox-cancel" }, "Cancel");
    cancel.addEventListener("click", function () { form.remove(); });
    row.appendChild(cancel);
    form.appendChild(row);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var request = action === "lost"
        ? post(lead.lead_id, "disposition", { outcome: "lost", reason: reason.value })
        : post(lead.lead_id, "reassign", to.value.trim()
          ? { reason: reason.value, to_rep_email: to.value.trim() } : { reason: reason.value });
      act(request, function () { form.remove(); });
    });
    card.appendChild(form);
    reason.focus();
  }

  function actions(card, lead) {
    var row = el("div", { "class": "inbox-actions" });
    var buttons = [
      ["accept", "Accept"], ["reassign", "Re-assign"], ["won", "Won"], ["lost", "Lost"],
      ["nurture", "Back to nurture"], ["qualified", "Qualified"]
    ];
    buttons.forEach(function (pair) {
      if (pair[0] === "accept" && lead.state !== "offered") { return; }
      var button = el("button", { type: "button", "data-action": pair[0] }, pair[1]);
      button.addEventListener("click", function () {
        if (pair[0] === "accept") {
          act(post(lead.lead_id, "accept"), function (body) { markState(card, body); });
        } else if (pair[0] === "lost" || pair[0] === "reassign") {
          reasonForm(card, lead, pair[0]);
        } else {
          act(post(lead.lead_id, "disposition", { outcome: pair[0] }));
        }
      });
      row.appendChild(button);
    });
    return row;
  }

  function excerpt(lead) {
    var box = el("div", { "class": "inbox-excerpt" });
    lead.chat.turns.forEach(function (turn) {
      var line = el("p", { "class": "inbox-turn" });
      line.appendChild(el("b", {}, turn.role));
      line.appendChild(document.createTextNode(turn.text));
      box.appendChild(line);
    });
    var row = el("div", { "class": "inbox-chat-actions" });
    if (lead.chat.handoff_open) {
      var take = el("button", { type: "button", "class": "inbox-takeover" }, "Take over chat");
      take.addEventListener("click", function () {
        act(api("POST", "/v1/chat/sessions/" + encodeURIComponent(lead.chat.session_id) + "/takeover"),
          function () { openChat(lead); });
      });
      row.appendChild(take);
    } else if (me && lead.chat.held_by_rep_id === me.id) {
      var resume = el("button", { type: "button", "class": "inbox-open-chat" }, "Open chat");
      resume.addEventListener("click", function () { openChat(lead); });
      row.appendChild(resume);
    } else if (lead.chat.held_by_rep_id) {
      row.appendChild(el("span", { "class": "inbox-sub" }, "another rep holds this chat"));
    }
    box.appendChild(row);
    return box;
  }

  function card(lead) {
    var node = el("article", { "class": "inbox-lead", "data-lead-id": lead.lead_id, "data-state": lead.state });
    var head = el("header");
    head.appendChild(el("span", { "class": "inbox-who" }, lead.name || lead.email || "lead " + lead.lead_id));
    head.appendChild(el("span", { "class": "inbox-band", "data-band": lead.band }, lead.band));
    head.appendChild(el("span", { "class": "inbox-score" }, pct(lead.probability) + " likely to buy"));
    head.appendChild(el("span", { "class": "inbox-state" }, lead.state));
    var sla = el("span", { "class": "inbox-sla", "data-status": lead.sla.status, "data-due": lead.sla.due_at || "" });
    head.appendChild(sla);
    node.appendChild(head);
    var sub = [lead.company, lead.name ? lead.email : null, lead.attempt > 1 ? "offer " + lead.attempt : null];
    node.appendChild(el("div", { "class": "inbox-sub" }, sub.filter(Boolean).join(" · ")));
    node.appendChild(list("inbox-reasons", lead.reasons));
    // The routing reasons carry the score's reasons of the time; show only what is new since.
    var fresh = lead.score_reasons.filter(function (r) { return lead.reasons.indexOf(r) < 0; });
    if (fresh.length) { node.appendChild(list("inbox-score-reasons", fresh)); }
    if (lead.chat) { node.appendChild(excerpt(lead)); }
    node.appendChild(actions(node, lead));
    return node;
  }

  function renderLeads(body) {
    var box = $("inbox-leads");
    $("inbox-count").textContent = "(" + body.leads.length + ")";
    if (box.querySelector(".inbox-reason")) { return; } // a rep is typing a reason: keep it
    box.replaceChildren();
    if (!body.leads.length) { box.appendChild(el("p", { "class": "inbox-empty" }, "No leads with you right now.")); }
    body.leads.forEach(function (lead) { box.appendChild(card(lead)); });
    tick();
  }

  function renderQueue(rows) {
    var box = $("inbox-queue");
    box.replaceChildren();
    if (!rows.length) { box.appendChild(el("p", { "class": "inbox-empty" }, "Nobody is waiting.")); }
    rows.forEach(function (row) {
      var item = el("div", { "class": "inbox-queued", "data-lead-id": row.lead_id });
      var since = new Date(row.queued_at).toLocaleTimeString();
      item.appendChild(el("b", {}, row.name || row.email || "lead " + row.lead_id));
      item.appendChild(document.createTextNode(" · " + row.band + " " + pct(row.probability) + " · " + row.segment + " · waiting since " + since));
      item.appendChild(el("div", { "class": "inbox-sub" }, row.why));
      box.appendChild(item);
    });
  }

  function table(headings, rows) {
    var t = el("table"), head = el("tr");
    headings.forEach(function (h) { head.appendChild(el("th", {}, h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) { tr.appendChild(el("td", {}, c)); });
      t.appendChild(tr);
    });
    return t;
  }

  function renderTeam(team) {
    var box = $("inbox-team");
    box.replaceChildren();
    box.appendChild(table(["rep", "taking leads", "open / cap"], team.reps.map(function (r) {
      return [r.name, r.available ? "yes" : "no", r.open_leads + " / " + r.capacity];
    })));
    box.appendChild(el("h3", {}, "Live leads"));
    box.appendChild(table(["lead", "rep", "state", "SLA"], team.leads.map(function (l) {
      return [l.name || l.email || "lead " + l.lead_id, l.rep_name, l.state, l.sla.status];
    })));
    box.appendChild(el("h3", {}, "SLA misses (7 days)"));
    box.appendChild(table(["lead", "rep", "missed at"], team.misses.map(function (m) {
      return ["lead " + m.lead_id, m.rep_name, m.missed_at ? new Date(m.missed_at).toLocaleString() : ""];
    })));
  }

  function refresh() {
    if (!staff.hasKey()) { return Promise.resolve(); }
    return Promise.all([api("GET", "/v1/reps/me/leads"), api("GET", "/v1/reps/me/queue")])
      .then(function (parts) {
        var body = parts[0];
        me = body.rep;
        skew = Date.parse(body.now) - Date.now();
        $("inbox-rep").textContent = me.name + (me.team ? " · " + me.team : "");
        $("inbox-available").checked = me.available;
        $("inbox-availability").hidden = false;
        $("inbox-forget").hidden = false;
        $("inbox-key-form").hidden = true;
        $("inbox-main").hidden = false;
        renderLeads(body);
        renderQueue(parts[1]);
        clearError("refresh");
        $("inbox-team-section").hidden = !me.is_manager;
        return me.is_manager ? api("GET", "/v1/reps/me/team").then(renderTeam) : null;
      })
      .catch(function (error) {
        showError(error.message, "refresh");
        if (error.status === 401 || error.status === 403) { $("inbox-key-form").hidden = false; }
      });
  }

  function say(turn) {
    var line = el("p", { "class": "inbox-turn" });
    var who = turn.role === "rep" && turn.meta && turn.meta.rep_name ? turn.meta.rep_name : turn.role;
    line.appendChild(el("b", {}, who));
    line.appendChild(document.createTextNode(turn.text));
    $("inbox-chat-log").appendChild(line);
    $("inbox-chat-log").scrollTop = $("inbox-chat-log").scrollHeight;
  }

  function pollChat() {
    if (!chat) { return; }
    var path = "/v1/chat/sessions/" + encodeURIComponent(chat.sessionId) + "/messages?after=" + chat.lastId;
    api("GET", path).then(function (turns) {
      turns.forEach(function (turn) { chat.lastId = Math.max(chat.lastId, turn.id); say(turn); });
    }).catch(function (error) { showError(error.message, "action"); });
  }

  function openChat(lead) {
    closeChat();
    chat = { sessionId: lead.chat.session_id, lastId: 0, timer: null };
    $("inbox-chat-title").textContent = "Chat with " + (lead.name || lead.email || "lead " + lead.lead_id);
    $("inbox-chat-log").replaceChildren();
    $("inbox-chat").hidden = false;
    pollChat();
    chat.timer = setInterval(pollChat, CHAT_POLL_MS);
  }

  function closeChat() {
    if (chat && chat.timer) { clearInterval(chat.timer); }
    chat = null;
    $("inbox-chat").hidden = true;
  }

  $("inbox-chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("inbox-chat-input").value.trim();
    if (!chat || !text) { return; }
    var path = "/v1/chat/sessions/" + encodeURIComponent(chat.sessionId) + "/rep-messages";
    api("POST", path, { text: text }).then(function () {
      $("inbox-chat-input").value = "";
      pollChat();
    }).catch(function (error) { showError(error.message, "action"); });
  });

  $("inbox-chat-release").addEventListener("click", function () {
    if (!chat) { return; }
    act(api("POST", "/v1/chat/sessions/" + encodeURIComponent(chat.sessionId) + "/release"), closeChat);
  });
  $("inbox-chat-close").addEventListener("click", closeChat);
  $("inbox-error-close").addEventListener("click", function () { clearError(); });

  $("inbox-available").addEventListener("change", function (event) {
    var box = event.target, wanted = box.checked;
    clearError("action");
    api("PUT", "/v1/reps/me/availability", { available: wanted }).then(function (body) {
      var n = body.offered_lead_ids.length;
      if (me) { me.available = body.rep.available; }
      notice(wanted ? "You are taking new leads" + (n ? ": " + n + " from the queue offered to you." : ".")
        : "You are away: no new leads are offered to you.");
      refresh();
    }).catch(function (error) {
      box.checked = !wanted;
      showError(error.message, "action");
    });
  });

  $("inbox-key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    staff.saveKey($("inbox-key").value.trim());
    $("inbox-key").value = "";
    refresh();
  });

  $("inbox-forget").addEventListener("click", function () {
    staff.forgetKey();
    closeChat();
    me = null;
    $("inbox-main").hidden = true;
    $("inbox-availability").hidden = true;
    $("inbox-forget").hidden = true;
    $("inbox-key-form").hidden = false;
    $("inbox-rep").textContent = "";
  });

  setInterval(refresh, REFRESH_MS);
  setInterval(tick, 1000);
  refresh();
})();
