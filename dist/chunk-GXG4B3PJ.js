import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-Q4N2LGNB.js";import"./chunk-QMXITO7X.js";import"./chunk-2EPMGINA.js";import"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-GXG4B3PJ.js.map
