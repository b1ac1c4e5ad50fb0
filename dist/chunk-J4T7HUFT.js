import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a}from"./chunk-IKZLHEEP.js";import"./chunk-N7GAEWYF.js";import"./chunk-RKVHTRRI.js";import"./chunk-2Q5RQPV4.js";import"./chunk-7CQHXEP7.js";import"./chunk-CDGC7QOB.js";import"./chunk-Q5YTH4VN.js";import"./chunk-KH2X5DQG.js";import"./chunk-K26KXKZC.js";import"./chunk-PUUT4BN2.js";import"./chunk-QEK5IVH2.js";import"./chunk-YTEOXTLI.js";export{a as actionsLogger};
//# sourceMappingURL=chunk-J4T7HUFT.js.map
