#version 450
// One triangle that covers the whole viewport (no vertex buffer); the fragment shader does the rest.
void main() {
  vec2 p = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
