import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var C=1e6;function L(t,e){return{title:e,command:t,status:"success",stages:[],facts:[],sections:[]}}var R={success:"\u2705 succeeded",failure:"\u274C failed",refused:"\u26D4 refused","no-op":"\u2796 nothing to do"},y={ok:"\u2705 ok",failed:"\u274C failed",skipped:"\u23ED\uFE0F skipped",running:"\u23F3 running"};function M(t){if(!Number.isFinite(t)||t<0)return"\u2013";if(t<6e4)return`${(t/1e3).toFixed(1)}s`;let e=Math.round(t/1e3),n=Math.floor(e/60),s=e%60;return`${n}m ${String(s).padStart(2,"0")}s`}function k(t){return t.replace(/\|/g,"\\|").replace(/\r\n|\r|\n/g,"<br>")}function $(t){return t.replace(/&/g,"&amp;").replace(/</g,"&lt;").replace(/>/g,"&gt;")}function h(t,e){let n=s=>`| ${s.map(k).join(" | ")} |`;return[n(t),`|${t.map(()=>" --- |").join("")}`,...e.map(n)].join(`
`)}function T(t){let e=[`## ${t.title}: ${R[t.status]}`,"",`Command: \`${t.command}\``];return t.reason&&e.push("",...t.reason.split(/\r?\n/).map(n=>`> ${n}`)),e.join(`
`)}function _(t){let e=t.map(n=>[n.name,y[n.status],n.status==="skipped"?"\u2013":M(n.durationMs),n.detail??""]);return["### Stages","",h(["Stage","Status","Duration","Detail"],e)].join(`
`)}function j(t){return t.collapsed?[`<details><summary>${$(t.title)}</summary>`,"",t.body,"","</details>"].join(`
`):[`### ${t.title}`,"",t.body].join(`
`)}function f(t,e,n){let s=[T(t)];return t.stages.length>0&&s.push(_(t.stages)),t.facts.length>0&&s.push(h(["Item","Value"],t.facts)),s.push(...e.map(j)),t.next&&s.push([`### ${t.next.title}`,"",t.next.markdown].join(`
`)),n&&s.push(n),s.join(`

`)+`
`}var i=t=>Buffer.byteLength(t,"utf8");function b(t,e){let n=Buffer.from(t,"utf8");if(n.length<=e)return t;let s=Math.max(0,e);for(;s>0&&(n[s]&192)===128;)s--;return n.subarray(0,s).toString("utf8")}function A(t){return t.split(`
`).filter(n=>/^\s*(```|~~~)/.test(n)).length%2===1?`${t}
\`\`\``:t}var B=t=>`

_\u2026 ${t.toLocaleString("en-US")} bytes of this section were cut._`,p=t=>`> \u26A0\uFE0F This summary was truncated: ${t.toLocaleString("en-US")} bytes were cut from its largest sections to stay under GitHub's 1 MiB job summary limit. The full output is in the job log.`,w=160;function U(t,e={}){let n=e.maxBytes??1e6,s=f(t,t.sections);if(i(s)<=n)return s;let o=t.sections.map(c=>c.body),r=[...o],u=()=>o.reduce((c,a,g)=>c+i(a)-i(r[g]),0),d=()=>t.sections.map((c,a)=>r[a]===o[a]?c:{...c,body:A(r[a])+B(i(o[a])-i(r[a]))});for(let c=0;c<t.sections.length*2;c++){let a=i(f(t,d(),p(u())))-n;if(a<=0)break;let g=-1;for(let l=0;l<r.length;l++)r[l].length>0&&(g<0||i(r[l])>i(r[g]))&&(g=l);if(g<0)break;r[g]=b(r[g],i(r[g])-a-w)}let x=p(u()),m=f(t,d(),x);if(i(m)<=n)return m;let S=`

${p(i(s)-n)}
`;return b(s,Math.max(0,n-i(S)))+S}async function Y(t,e,n,s=()=>performance.now()){let o={name:e,status:"running",durationMs:0};t.stages.push(o);let r=s();try{let u=await n(o);return o.status="ok",u}catch(u){throw o.status="failed",o.detail??=E(u instanceof Error?u.message:String(u)),u}finally{o.durationMs=Math.max(0,s()-r)}}function D(t,e,n){t.stages.push({name:e,status:"skipped",durationMs:0,...n?{detail:n}:{}})}function E(t){let e=t.split(/\r?\n/)[0]??"";return e.length>300?`${e.slice(0,299)}\u2026`:e}function H(t){return`\`\`\`
${t.replace(/```/g,"'''")}
\`\`\``}export{C as a,L as b,M as c,k as d,h as e,b as f,A as g,U as h,Y as i,D as j,H as k};
//# sourceMappingURL=chunk-Y7FWSWT4.js.map
