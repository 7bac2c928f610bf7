import { css } from 'lit';

// Deliberately small (the universa entry has a 12 kB budget): pages restyle through parts.
export const styles = css`:host{display:block;font:var(--upload-elements-font,inherit);--a:var(--upload-elements-accent,#3457d5)}
dialog,#input,button,a{border-radius:var(--upload-elements-radius,6px);font:inherit}
button,a{border:1px solid;color:var(--a);background:0 0;padding:.3em .8em;text-decoration:none}
[part~=ok]{background:var(--a);color:#fff}
:disabled{opacity:.5}
[part~=actions]{display:flex;gap:.5em;justify-content:flex-end}
#input{box-sizing:border-box;width:100%}
code,#input{font-family:monospace;overflow-wrap:anywhere}
label{display:block}
[part~=error],[part~=input-error]{color:#c0262d}`;
