import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var e={finished:"finished",run:"run"},t={applied:[],promoting:[]};function r(n,o){return o[`STATE_${n}`]??""}function s(n){return r(e.finished,n)==="true"}function a(n){try{return{...t,...JSON.parse(r(e.run,n)||"{}")}}catch{return{...t}}}export{e as a,t as b,s as c,a as d};
//# sourceMappingURL=chunk-HZOHVEHQ.js.map
