import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{a as exec,b as getExecOutput};
//# sourceMappingURL=chunk-T5MV6SC7.js.map
