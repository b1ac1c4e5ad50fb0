import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-4B3RM7DC.js";import"./chunk-QMXITO7X.js";import"./chunk-VDYJ3JUY.js";import"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-HSRTMURZ.js.map
