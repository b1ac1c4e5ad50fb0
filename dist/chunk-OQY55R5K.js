import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{g as a,h as b}from"./chunk-P6KMDYXQ.js";import"./chunk-Y7FWSWT4.js";import"./chunk-647475XM.js";import"./chunk-CWDM67MZ.js";import"./chunk-7YKKP3R7.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-OQY55R5K.js.map
