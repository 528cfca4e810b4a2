// One working sample per diagram type.
export const examples = {
  graphviz: "digraph G {\n  rankdir=LR;\n  client -> api [label=\"GET /graphviz/svg/…\"];\n  api -> cache [label=\"hit?\"];\n  api -> kroki [label=\"miss\"];\n}\n",
  plantuml: "@startuml\nactor User\nUser -> API: GET /plantuml/svg/…\nAPI -> Cache: lookup\nalt miss\n  API -> Kroki: render\nend\nAPI --> User: image\n@enduml\n",
  c4plantuml: "@startuml\n!include <C4/C4_Container>\nPerson(user, \"User\")\nSystem_Boundary(s, \"UML Images\") {\n  Container(api, \"Render API\", \"Go, Lambda\")\n  Container(kroki, \"Kroki\", \"Fargate\")\n}\nRel(user, api, \"renders\")\nRel(api, kroki, \"on a miss\")\n@enduml\n",
  ditaa: "+--------+   +-------+   +-------+\n| client |-->|  API  |-->| Kroki |\n+--------+   +-------+   +-------+\n",
  d2: "client -> api: GET\napi -> cache: lookup\napi -> kroki: render on a miss\n",
  mermaid: "graph LR\n  A[Client] --> B[API]\n  B --> C{Cached?}\n  C -->|yes| D[Image]\n  C -->|no| E[Kroki]\n",
  blockdiag: "blockdiag {\n  client -> api -> kroki;\n  api -> cache;\n}\n",
  seqdiag: "seqdiag {\n  client -> api [label = \"GET\"];\n  api -> kroki [label = \"render\"];\n}\n",
  nomnoml: "[Client] -> [API]\n[API] -> [Kroki]\n",
  erd: "[Diagram]\n*id\nsource\n\n[Render]\n*key\nformat\n\nDiagram 1--* Render\n",
  pikchr: "box \"client\"; arrow; box \"API\"; arrow; box \"Kroki\"\n",
  svgbob: "  .-------.      .-----.\n  | client |---->| API |\n  '-------'      '-----'\n",
  wavedrom: "{ \"signal\": [ { \"name\": \"clk\", \"wave\": \"p...\" }, { \"name\": \"req\", \"wave\": \"01.0\" } ] }\n",
  vegalite: "{\n  \"$schema\": \"https://vega.github.io/schema/vega-lite/v5.json\",\n  \"data\": { \"values\": [ {\"a\": \"A\", \"b\": 28}, {\"a\": \"B\", \"b\": 55} ] },\n  \"mark\": \"bar\",\n  \"encoding\": { \"x\": {\"field\": \"a\"}, \"y\": {\"field\": \"b\", \"type\": \"quantitative\"} }\n}\n",
  dbml: "Table diagrams {\n  id varchar [pk]\n  source text\n}\n",
  bytefield: "(draw-column-headers)\n(draw-box \"type\" {:span 4})\n(draw-box \"length\" {:span 4})\n",
};
