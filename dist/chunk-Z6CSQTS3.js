import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-3BISSFNP.js";import"./chunk-Y7FWSWT4.js";import"./chunk-Y3QGVIRR.js";import"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-Z6CSQTS3.js.map
