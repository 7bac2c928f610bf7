// Uppy's Simplified Chinese as it is: it has every string our Dashboards show, and reads well.
export { default } from '@uppy/locales/lib/zh_CN.js';
