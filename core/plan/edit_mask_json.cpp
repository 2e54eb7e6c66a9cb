#include "core/plan/edit_mask_json.h"

namespace ns {

namespace {

std::string describe(const ProjectJson& j) { return j.type_name(); }

// A finite number read as float; false (with a problem) otherwise.
bool readFloat(const ProjectJson& j, const std::string& path, float& out, std::vector<std::string>& problems) {
  if (!j.is_number()) {
    problems.push_back(path + ": expected a number, got " + describe(j));
    return false;
  }
  out = j.get<float>();
  return true;
}

void readOp(const ProjectJson& j, const std::string& path, MaskOp& op, std::vector<std::string>& problems) {
  if (!j.is_object()) {
    problems.push_back(path + ": expected an object, got " + describe(j));
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"op", "frame", "radius", "hardness", "points"};
    bool ok = false;
    for (const char* k : known) ok |= it.key() == k;
    if (!ok) problems.push_back(path + "." + it.key() + ": unknown field (known: op, frame, radius, hardness, points)");
  }
  const auto kind = j.find("op");
  if (kind == j.end()) {
    problems.push_back(path + ".op: missing (paint, erase, invert or clear)");
  } else if (!kind->is_string()) {
    problems.push_back(path + ".op: expected a string, got " + describe(*kind));
  } else {
    op.kind = maskOpKindFromName(kind->get<std::string>());
    if (op.kind == MaskOpKind::Invalid)
      problems.push_back(path + ".op: \"" + kind->get<std::string>() + "\" is not one of paint, erase, invert, clear");
  }
  if (const auto f = j.find("frame"); f != j.end()) {
    if (!f->is_number_integer() || f->get<int64_t>() < INT32_MIN || f->get<int64_t>() > INT32_MAX)
      problems.push_back(path + ".frame: expected a whole number, got " + f->dump());
    else
      op.frame = int(f->get<int64_t>());
  }
  if (const auto r = j.find("radius"); r != j.end()) readFloat(*r, path + ".radius", op.radius, problems);
  if (const auto h = j.find("hardness"); h != j.end()) readFloat(*h, path + ".hardness", op.hardness, problems);
  const auto pts = j.find("points");
  if (pts == j.end()) return;
  if (!pts->is_array() || pts->size() % 2 != 0) {
    problems.push_back(path + ".points: expected a list of x, y pairs (an even count of numbers)");
    return;
  }
  if (pts->size() / 2 > EditMask::kMaxPointsPerOp) {
    problems.push_back(path + ".points: " + std::to_string(pts->size() / 2) + " points (at most " +
                       std::to_string(EditMask::kMaxPointsPerOp) + ")");
    return;
  }
  op.points.clear();
  op.points.reserve(pts->size() / 2);
  for (size_t i = 0; i + 1 < pts->size(); i += 2) {
    MaskPoint p;
    const std::string pp = path + ".points[" + std::to_string(i) + "]";
    if (!readFloat((*pts)[i], pp, p.x, problems) || !readFloat((*pts)[i + 1], pp, p.y, problems)) return;
    op.points.push_back(p);
  }
}

}  // namespace

ProjectJson editMaskToJson(const EditMask& mask) {
  ProjectJson j = ProjectJson::object();
  j["feather"] = floatForJson(mask.feather);
  ProjectJson ops = ProjectJson::array();
  for (const MaskOp& o : mask.ops) {
    ProjectJson oj = ProjectJson::object();
    oj["op"] = maskOpKindName(o.kind);
    oj["frame"] = o.frame;
    if (o.kind == MaskOpKind::Paint || o.kind == MaskOpKind::Erase) {
      oj["radius"] = floatForJson(o.radius);
      oj["hardness"] = floatForJson(o.hardness);
      ProjectJson pts = ProjectJson::array();
      for (const MaskPoint& p : o.points) {
        pts.push_back(floatForJson(p.x));
        pts.push_back(floatForJson(p.y));
      }
      oj["points"] = pts;
    }
    ops.push_back(oj);
  }
  j["ops"] = ops;
  return j;
}

void editMaskFromJson(const ProjectJson& j, const std::string& path, EditMask& out, std::vector<std::string>& problems) {
  if (!j.is_object()) {
    problems.push_back(path + ": expected an object, got " + describe(j));
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "feather" && it.key() != "ops") problems.push_back(path + "." + it.key() + ": unknown field (known: feather, ops)");
  if (const auto f = j.find("feather"); f != j.end()) readFloat(*f, path + ".feather", out.feather, problems);
  const auto ops = j.find("ops");
  if (ops == j.end()) return;
  if (!ops->is_array()) {
    problems.push_back(path + ".ops: expected an array, got " + describe(*ops));
    return;
  }
  if (ops->size() > EditMask::kMaxOps) {
    problems.push_back(path + ".ops: " + std::to_string(ops->size()) + " operations (at most " +
                       std::to_string(EditMask::kMaxOps) + ")");
    return;
  }
  out.ops.clear();
  for (size_t i = 0; i < ops->size(); ++i) {
    MaskOp op;
    readOp((*ops)[i], path + ".ops[" + std::to_string(i) + "]", op, problems);
    out.ops.push_back(std::move(op));
  }
}

}  // namespace ns
