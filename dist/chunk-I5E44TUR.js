import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-YF7AAXFN.js";import"./chunk-QMXITO7X.js";import"./chunk-Y6EM2YHC.js";import"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-I5E44TUR.js.map
