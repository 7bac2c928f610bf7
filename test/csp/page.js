// Nothing inline is allowed here; the page's only own logic is to say when the elements are defined.
await Promise.all(['titan-uploader', 'universa-select-address', 'digime-writer'].map((t) => customElements.whenDefined(t)));
document.documentElement.dataset.ready = 'true';
