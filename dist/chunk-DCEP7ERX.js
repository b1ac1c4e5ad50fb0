import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a,b}from"./chunk-PUA6VIZZ.js";import"./chunk-3KDHZZWU.js";import"./chunk-XEHCQICX.js";import"./chunk-NMDUUIE2.js";import"./chunk-H6ZZMVI4.js";import"./chunk-TRLDGZWT.js";import"./chunk-36HBRS55.js";import"./chunk-2Q5RQPV4.js";import"./chunk-CDGC7QOB.js";import"./chunk-Q5YTH4VN.js";import"./chunk-Y7FWSWT4.js";import"./chunk-K26KXKZC.js";import"./chunk-PUUT4BN2.js";import"./chunk-QEK5IVH2.js";import"./chunk-YTEOXTLI.js";export{b as failureLine,a as runCommand};
//# sourceMappingURL=chunk-DCEP7ERX.js.map
