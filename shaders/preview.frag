#version 450
// Preview colour mapping. Mirrors ui/preview/reference_render.cpp (the CPU reference the tests
// compare against): change both together.
// Each slot is a storage buffer read at the nearest pixel (the preview is for pixel peeping) and
// holding either planar floats [layer][height][width] (FrameBuffer's layout, the channels the heat
// map or colour wheel needs) or, for RGB, one RGBA8 word per pixel packed by the CPU at upload
// (map 4): one load per pixel instead of three, a third of the bytes. Words are declared uint and
// bit-cast to float where needed, so packed colours never pass through a float register.

layout(std430, set = 0, binding = 0) readonly buffer Slot0 { uint v[]; } slot0;  // primary, current frame
layout(std430, set = 0, binding = 1) readonly buffer Slot1 { uint v[]; } slot1;  // secondary (split) or previous frame (onion)
layout(std430, set = 0, binding = 2) readonly buffer Slot2 { uint v[]; } slot2;  // next frame (onion)

// Specialisation constants: the renderer builds one pipeline per combination in use, so the
// compiler drops every branch this draw cannot take (llvmpipe would otherwise run all of them).
layout(constant_id = 0) const int MODE = 0;     // 0 single, 1 split, 2 onion
layout(constant_id = 1) const int MAP0 = 1;     // colour map of slot 0 (1 rgb, 2 heat, 3 wheel, 4 packed rgb)
layout(constant_id = 2) const int LAYERS0 = 3;  // uploaded layer count of slot 0
layout(constant_id = 3) const int MAP1 = 1;
layout(constant_id = 4) const int LAYERS1 = 3;
layout(constant_id = 5) const int MAP2 = 1;
layout(constant_id = 6) const int LAYERS2 = 3;

layout(push_constant) uniform Params {
  vec4 xform;    // image origin x, y (view px), scale (view px per image px), split x (view px)
  vec4 size01;   // slot 0 width, height; slot 1 width, height
  vec4 size2;    // slot 2 width, height; background grey; divider half width (view px)
  ivec4 unused0;  // (kept for layout stability; maps and layer counts are specialisation constants)
  ivec4 unused1;
  vec4 mparam;   // map parameter of slots 0..2 (heat: ±range; wheel: max magnitude)
  vec4 weights;  // onion weights: current, previous, next
} pc;

layout(location = 0) out vec4 outColor;

const float PI = 3.14159265358979;

vec3 heatColour(float t) {
  const vec3 stops[5] = vec3[5](vec3(0.02, 0.19, 0.38), vec3(0.26, 0.58, 0.76), vec3(0.97, 0.97, 0.97),
                                vec3(0.84, 0.38, 0.30), vec3(0.40, 0.00, 0.12));
  t = clamp(t, -1.0, 1.0);
  float s = (t + 1.0) * 2.0;
  // Sum of clamped ramps, not stops[i]: a dynamic index becomes per-pixel gathers on llvmpipe.
  vec3 c = stops[0];
  c += (stops[1] - stops[0]) * clamp(s, 0.0, 1.0);
  c += (stops[2] - stops[1]) * clamp(s - 1.0, 0.0, 1.0);
  c += (stops[3] - stops[2]) * clamp(s - 2.0, 0.0, 1.0);
  c += (stops[4] - stops[3]) * clamp(s - 3.0, 0.0, 1.0);
  return c;
}

// Middlebury wheel: segments RY 15, YG 6, GC 4, CB 11, BM 13, MR 6 (55 colours). The reference
// interpolates between neighbouring table entries at fk in [0, 54]; every entry lies on a
// continuous piecewise-linear ramp with breakpoints at the segment ends, so that interpolation
// is the ramp itself, written here as sums of clamped ramps: no table lookups or branches (on
// llvmpipe every branch of a table lookup runs for every pixel).
vec3 wheelAt(float fk) {
  float r = 1.0 - clamp((fk - 15.0) / 6.0, 0.0, 1.0) + clamp((fk - 36.0) / 13.0, 0.0, 1.0);
  float g = clamp(fk / 15.0, 0.0, 1.0) - clamp((fk - 25.0) / 11.0, 0.0, 1.0);
  float b = clamp((fk - 21.0) / 4.0, 0.0, 1.0) - clamp((fk - 49.0) / 6.0, 0.0, 1.0);
  return vec3(r, g, b);
}

vec3 wheelColour(float dx, float dy, float maxMag) {
  if (!(maxMag > 0.0)) return vec3(1.0);
  float rad = sqrt(dx * dx + dy * dy) / maxMag;
  if (rad == 0.0) return vec3(1.0);
  float a = (dy == 0.0 && dx > 0.0) ? -1.0 : atan(-dy, -dx) / PI;
  vec3 col = wheelAt(clamp((a + 1.0) * 0.5 * 54.0, 0.0, 54.0));
  return rad <= 1.0 ? vec3(1.0) - rad * (vec3(1.0) - col) : col * 0.75;
}

// Word `layer` at pixel p of a slot (slot is a constant at every call, so this folds).
uint fetchBits(int slot, ivec2 p, int layer) {
  if (slot == 0) {
    ivec2 sz = ivec2(pc.size01.xy);
    return slot0.v[(layer * sz.y + p.y) * sz.x + p.x];
  }
  if (slot == 1) {
    ivec2 sz = ivec2(pc.size01.zw);
    return slot1.v[(layer * sz.y + p.y) * sz.x + p.x];
  }
  ivec2 sz = ivec2(pc.size2.xy);
  return slot2.v[(layer * sz.y + p.y) * sz.x + p.x];
}

float fetch(int slot, ivec2 p, int layer) { return uintBitsToFloat(fetchBits(slot, p, layer)); }

vec3 mapTexel(int slot, ivec2 p, int map, int layers, float param) {
  // Packed RGB: already clamped and rounded to 8 bits, exactly what the UNORM target stores.
  if (map == 4) return unpackUnorm4x8(fetchBits(slot, p, 0)).rgb;
  float c0 = fetch(slot, p, 0);
  if (map == 2) return heatColour(c0 / param);
  if (map == 3) return layers >= 2 ? wheelColour(c0, fetch(slot, p, 1), param) : vec3(1.0);
  if (layers >= 3) return clamp(vec3(c0, fetch(slot, p, 1), fetch(slot, p, 2)), 0.0, 1.0);
  if (layers == 2) return clamp(vec3(c0, fetch(slot, p, 1), 0.0), 0.0, 1.0);
  return vec3(clamp(c0, 0.0, 1.0));
}

// Texel of a slot of size `sz` at continuous primary-image position `ip` (primary size `s0`).
ivec2 texelOf(vec2 ip, vec2 s0, vec2 sz) {
  return clamp(ivec2(floor(ip * sz / s0)), ivec2(0), ivec2(sz) - 1);
}

void main() {
  vec2 fc = gl_FragCoord.xy;
  vec2 s0 = pc.size01.xy;
  vec2 ip = (fc - pc.xform.xy) / pc.xform.z;
  if (ip.x < 0.0 || ip.y < 0.0 || ip.x >= s0.x || ip.y >= s0.y) {
    outColor = vec4(vec3(pc.size2.z), 1.0);
    return;
  }
  ivec2 p0 = clamp(ivec2(floor(ip)), ivec2(0), ivec2(s0) - 1);
  vec3 c;
  if (MODE == 1) {
    if (abs(fc.x - pc.xform.w) < pc.size2.w) {
      outColor = vec4(1.0);
      return;
    }
    if (fc.x < pc.xform.w)
      c = mapTexel(1, texelOf(ip, s0, pc.size01.zw), MAP1, LAYERS1, pc.mparam.y);
    else
      c = mapTexel(0, p0, MAP0, LAYERS0, pc.mparam.x);
  } else {
    c = mapTexel(0, p0, MAP0, LAYERS0, pc.mparam.x);
    if (MODE == 2) {
      // Missing neighbours (first/last frame) have weight 0 and a 1x1 placeholder buffer.
      vec3 prev = mapTexel(1, texelOf(ip, s0, pc.size01.zw), MAP1, LAYERS1, pc.mparam.y);
      vec3 next = mapTexel(2, texelOf(ip, s0, pc.size2.xy), MAP2, LAYERS2, pc.mparam.z);
      c = pc.weights.x * c + pc.weights.y * prev + pc.weights.z * next;
    }
  }
  outColor = vec4(c, 1.0);
}
