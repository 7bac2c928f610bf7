// Classic script, first in <head>: records every CSP violation and every element event.
window.__violations = [];
window.__events = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile });
});
for (const name of [
  'titan-upload-success',
  'titan-upload-error',
  'titan-token-renewed',
  'universa-state',
  'universa-contract',
  'universa-error',
  'universa-cancelled',
  'digime-connected',
  'digime-connect-error',
  'digime-write-success',
  'digime-write-error',
]) {
  document.addEventListener(name, (e) => {
    // The contract's bytes stay out of the record (they do not survive JSON).
    const { bytes: _bytes, ...detail } = e.detail ?? {};
    window.__events.push({ name, detail });
  });
}
