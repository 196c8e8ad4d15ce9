// The wallet in the browser: the owner key is an ECDSA P-256 key made by
// WebCrypto and kept in localStorage sealed by the passphrase (PBKDF2-SHA256
// then AES-256-GCM); open, it is a non-extractable CryptoKey in this page's
// memory only. The page builds and signs the ledger's byte formats itself
// (docs/kiosk.md, "The wallet page"); the server only relays to a node and
// draws QR codes.
"use strict";
(function () {
  var STORE = "copystation-wallet";
  var AAD = "copystation wallet page v1";
  var ITERATIONS = 600000; // OWASP's figure for PBKDF2-HMAC-SHA256
  var N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  var enc = new TextEncoder();
  var subtle = window.crypto.subtle;
  var key = null, pub = null, ownerID = "", chainID = "";

  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).classList.toggle("hidden", !on); }
  function say(id, text) {
    show("problem", false); show("done", false);
    if (text) { $(id).textContent = text; show(id, true); }
  }
  function hex(b) { return Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join(""); }
  function unhex(s) {
    if (!/^([0-9a-f]{2})*$/i.test(s)) { throw new Error("not hex"); }
    var b = new Uint8Array(s.length / 2);
    for (var i = 0; i < b.length; i++) { b[i] = parseInt(s.substr(2 * i, 2), 16); }
    return b;
  }
  function b64(b) { return btoa(String.fromCharCode.apply(null, b)); }
  function unb64(s) { return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); }); }

  // Bytes: the length-prefixed encodings of protocol and contract.
  function Bytes() { this.a = []; }
  Bytes.prototype.raw = function (b) { for (var i = 0; i < b.length; i++) { this.a.push(b[i]); } return this; };
  Bytes.prototype.u8 = function (v) { this.a.push(v & 255); return this; };
  Bytes.prototype.u16 = function (v) { return this.u8(v >> 8).u8(v); };
  Bytes.prototype.u32 = function (v) { return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v); };
  Bytes.prototype.u64 = function (v) {
    var d = new DataView(new ArrayBuffer(8)); d.setBigUint64(0, BigInt(v)); return this.raw(new Uint8Array(d.buffer));
  };
  Bytes.prototype.bytes = function (b) { return this.u32(b.length).raw(b); };
  Bytes.prototype.str = function (s) { return this.bytes(enc.encode(s)); };
  Bytes.prototype.done = function () { return new Uint8Array(this.a); };

  // der turns WebCrypto's r‖s into the ledger's form: low S, strict DER.
  function der(raw) {
    var r = BigInt("0x" + hex(raw.slice(0, 32))), s = BigInt("0x" + hex(raw.slice(32)));
    if (s > N / 2n) { s = N - s; }
    function int(v) {
      var h = v.toString(16); if (h.length % 2) { h = "0" + h; }
      var b = Array.from(unhex(h));
      if (b[0] & 0x80) { b.unshift(0); }
      return [2, b.length].concat(b);
    }
    var body = int(r).concat(int(s));
    return new Uint8Array([0x30, body.length].concat(body));
  }
  function sign(msg) {
    return subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, msg).then(function (sig) { return der(new Uint8Array(sig)); });
  }

  function sealKey(pass, salt, iterations) {
    return subtle.importKey("raw", enc.encode(pass), "PBKDF2", false, ["deriveKey"]).then(function (k) {
      return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations }, k, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    });
  }
  function aad(p) { return new Bytes().raw(enc.encode(AAD)).raw(p).done(); }
  function use(k, p) {
    key = k; pub = p;
    return subtle.digest("SHA-256", p).then(function (d) {
      ownerID = hex(new Uint8Array(d).slice(0, 16)); // protocol.KeyID
      $("owner-id").textContent = ownerID; $("public-key").textContent = hex(p);
      show("setup", false); show("locked", false); show("open", true);
    });
  }
  function importSigner(pkcs8) { return subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]); }

  function create(pass) {
    var salt = crypto.getRandomValues(new Uint8Array(16)), iv = crypto.getRandomValues(new Uint8Array(12)), p, pkcs8;
    return subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]).then(function (kp) {
      return Promise.all([subtle.exportKey("raw", kp.publicKey), subtle.exportKey("pkcs8", kp.privateKey)]);
    }).then(function (ks) {
      p = new Uint8Array(ks[0]); pkcs8 = ks[1];
      return sealKey(pass, salt, ITERATIONS);
    }).then(function (aes) {
      return subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: aad(p) }, aes, pkcs8);
    }).then(function (sealed) {
      localStorage.setItem(STORE, JSON.stringify({ version: 1, kdf: "PBKDF2-SHA256", iterations: ITERATIONS,
        salt: b64(salt), iv: b64(iv), sealed: b64(new Uint8Array(sealed)), public: hex(p) }));
      return importSigner(pkcs8);
    }).then(function (k) { new Uint8Array(pkcs8).fill(0); return use(k, p); });
  }
  function unlock(pass) {
    var w = JSON.parse(localStorage.getItem(STORE)), p = unhex(w.public);
    if (w.version !== 1 || w.kdf !== "PBKDF2-SHA256" || !(w.iterations >= 100000 && w.iterations <= 10000000)) {
      return Promise.reject(new Error("This wallet was stored in a form this page does not read."));
    }
    return sealKey(pass, unb64(w.salt), w.iterations).then(function (aes) {
      return subtle.decrypt({ name: "AES-GCM", iv: unb64(w.iv), additionalData: aad(p) }, aes, unb64(w.sealed));
    }).then(function (pkcs8) {
      return importSigner(pkcs8).then(function (k) { new Uint8Array(pkcs8).fill(0); return use(k, p); });
    }, function () { throw new Error("Wrong passphrase."); });
  }

  function api(path, opts) {
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.message || ("the wallet server answered " + r.status)); }
        return j;
      });
    });
  }
  function submit(tx) {
    return api("/api/submit", { method: "POST", body: tx, headers: { "Content-Type": "application/octet-stream" } });
  }
  function envelope(type, nonce, body, sig) {
    return new Bytes().u8(0xC5).u8(1).u8(type).bytes(pub).u64(nonce).bytes(body).bytes(sig).done();
  }

  // register: contract tx type 23, signed over the owner statement.
  function register() {
    var st = new Bytes().str("copystation owner-registration").u16(1).str(chainID).bytes(pub).done();
    var body = enc.encode(JSON.stringify({ chain_id: chainID }));
    return sign(st).then(function (sig) { return submit(envelope(23, 0, body, sig)); });
  }
  // transfer: a governance transaction (type 6) with the key's next nonce.
  function transfer(token, to) {
    var body = enc.encode(JSON.stringify({ id: token, new_owner: b64(unhex(to)) }));
    return api("/api/nonce/" + ownerID).then(function (j) {
      var nonce = BigInt(j.nonce) + 1n;
      var sb = new Bytes().str("copystation ledger-tx").str(chainID).u8(6).bytes(pub).u64(nonce).bytes(body).done();
      return sign(sb).then(function (sig) { return submit(envelope(6, nonce, body, sig)); });
    });
  }
  // grant: protocol.SignedGrant in its text form, CSG1: + base64url.
  function grant(station, title, token, minutes) {
    var expiry = Math.floor(Date.now() / 1000) + minutes * 60;
    // u16(3): the grant's own version, protocol.GrantVersion, fixed apart from the wire protocol.
    var g = new Bytes().str("copystation customer-authorization").u16(3).str(chainID).str(token).str(station).str(title).u64(expiry).done();
    return sign(g).then(function (sig) {
      var all = new Bytes().raw(g).bytes(sig).done();
      return { code: "CSG1:" + b64(all).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), expiry: expiry };
    });
  }

  function form(id, fn) {
    $(id).addEventListener("submit", function (e) { e.preventDefault(); fn().catch(function (err) { say("problem", err.message); }); });
  }
  function button(id, fn) {
    $(id).addEventListener("click", function () { fn().catch(function (err) { say("problem", err.message); }); });
  }
  form("create-form", function () {
    if ($("new-pass").value !== $("new-pass2").value) { return Promise.reject(new Error("The two passphrases differ.")); }
    if ($("new-pass").value.length < 8) { return Promise.reject(new Error("The passphrase must be at least 8 characters.")); }
    return create($("new-pass").value).then(function () { $("new-pass").value = $("new-pass2").value = ""; say("done", "Your key is made."); });
  });
  form("unlock-form", function () { return unlock($("pass").value).then(function () { $("pass").value = ""; say("done", ""); }); });
  button("lock", function () { key = null; show("open", false); show("locked", true); return Promise.resolve(); });
  button("register", function () {
    return register().then(function (j) { say("done", "Registered as owner " + ownerID + " at block " + j.height + "."); });
  });
  button("list-tokens", function () {
    return api("/api/tokens/" + ownerID).then(function (list) {
      var tb = $("tokens").querySelector("tbody"); tb.textContent = "";
      list.forEach(function (t) {
        var tr = tb.insertRow(); tr.id = "token-" + t.id;
        [t.id, t.title, t.state].forEach(function (v) { tr.insertCell().textContent = v; });
        var b = document.createElement("button"); b.type = "button"; b.textContent = "Use";
        b.disabled = t.state !== "unspent";
        b.addEventListener("click", function () { $("token").value = t.id; $("title").value = t.title; $("station").focus(); });
        tr.insertCell().appendChild(b);
      });
      show("tokens", true);
      say("done", list.length ? list.length + " token(s), each proved against the ledger." : "You hold no tokens.");
    });
  });
  form("grant-form", function () {
    var m = Math.min(15, Math.max(1, parseInt($("minutes").value, 10) || 5));
    return grant($("station").value.trim(), $("title").value.trim(), $("token").value.trim(), m).then(function (g) {
      return fetch("/api/qr", { method: "POST", body: g.code }).then(function (r) {
        if (!r.ok) { throw new Error("The code could not be drawn."); }
        return r.text();
      }).then(function (svg) {
        $("grant-qr").innerHTML = svg; // the server's own SVG: paths only
        $("grant-code").textContent = g.code;
        $("grant-expires").textContent = new Date(g.expiry * 1000).toLocaleTimeString();
        show("grant", true); say("done", "");
      });
    });
  });
  form("transfer-form", function () {
    return transfer($("ttoken").value.trim(), $("to").value.trim()).then(function () { say("done", "Token " + $("ttoken").value + " transferred."); });
  });
  form("verify-form", function () {
    return api("/api/verify", { method: "POST", body: $("receipt").value }).then(function (v) { say("done", v.message); });
  });

  api("/api/info").then(function (j) {
    chainID = j.chain_id;
    show(localStorage.getItem(STORE) ? "locked" : "setup", true);
  }).catch(function (err) { say("problem", "The wallet server does not answer: " + err.message); });
})();
