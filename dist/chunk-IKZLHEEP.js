import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{i as e,r as g,t as c,v as n,y as t}from"./chunk-N7GAEWYF.js";import{a as i}from"./chunk-2Q5RQPV4.js";var m={info:o=>n(o),warning:o=>c(o),debug:o=>g(o),group:(o,r)=>t(o,r),mask:o=>{for(let r of i(o))e(r)}};export{m as a};
//# sourceMappingURL=chunk-IKZLHEEP.js.map
