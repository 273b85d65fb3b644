// Passkeys (WebAuthn): the browser half of enrolment and sign-in. The server sends options as
// JSON with binary fields in base64url (WebAuthn L3 §5.1.8); this turns them into ArrayBuffers
// for navigator.credentials, and the credential back into JSON for the server to verify.
(function () {
  "use strict";
  if (window.stintPasskeys) { return; }  // one copy, however many fragments load it
  window.stintPasskeys = true;

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: fromBase64url(d.id) }); });
  }

  function creationOptions(json) {
    const options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    const options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) { json.response.userHandle = toBase64url(response.userHandle); }
    }
    return JSON.stringify(json);
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }

  // The reason codes the server answers with; the words are the page's, in its language.
  function show(box, reason) {
    const status = box.querySelector("[data-passkey-status]");
    const key = "error" + reason.charAt(0).toUpperCase() + reason.slice(1);
    status.textContent = box.dataset[key] || box.dataset.errorRefused;
    status.hidden = false;
  }

  async function run(box, button, fields, optionsOf, ask, verifyUrl) {
    if (!window.PublicKeyCredential) { show(box, "unsupported"); return; }
    button.disabled = true;
    try {
      const csrf = {};
      csrf[box.dataset.csrfField] = box.dataset.csrfToken;
      const answer = await post(box.dataset.optionsUrl, csrf);
      if (!answer.ok) {
        show(box, answer.status === 403 ? "expired" : answer.status === 429 ? "throttled" : "refused");
        return;
      }
      let credential;
      try {
        credential = await ask(optionsOf(await answer.json()));
      } catch (error) {
        show(box, "cancelled");
        return;
      }
      const verified = await post(verifyUrl, Object.assign(csrf, fields, {
        credential: credentialJSON(credential),
      }));
      const body = await verified.json();
      if (verified.ok && body.redirect) { window.location.assign(body.redirect); return; }
      show(box, body.error || "refused");
    } catch (error) {
      show(box, "refused");
    } finally {
      button.disabled = false;
    }
  }

  function enrol(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const name = form.querySelector("input[name=name]").value.trim();
      if (!name) { show(form, "name"); return; }
      const button = form.querySelector("button[type=submit]");
      run(form, button, { name: name }, creationOptions, function (publicKey) {
        return navigator.credentials.create({ publicKey: publicKey });
      }, form.action);
    });
  }

  function signIn(box) {
    const button = box.querySelector("[data-passkey-start]");
    button.addEventListener("click", function () {
      run(box, button, { next: box.dataset.next || "" }, requestOptions, function (publicKey) {
        return navigator.credentials.get({ publicKey: publicKey });
      }, box.dataset.verifyUrl);
    });
  }

  function start() {
    document.querySelectorAll("[data-passkey-register]").forEach(enrol);
    document.querySelectorAll("[data-passkey-sign-in]").forEach(signIn);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
