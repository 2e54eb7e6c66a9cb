#pragma once
// Held-out captions: a fixed tenth of the (colour, shape, background) triples never appears in
// the built-in model's training scenes, so `noisestudio-cli model eval` measures prompts the model
// has not seen as a whole (each word, and each colour-shape pair, does appear elsewhere).

#include "core/model/scene.h"
#include "core/model/vocabulary.h"

namespace ns {

inline bool isHeldOutTriple(int colour, int shape, int background) {
  return colour >= 0 && shape >= 0 && background >= 0 && (colour * 7 + shape * 3 + background * 5) % 10 == 3;
}

// True when any object of the scene forms a held-out triple with the scene's background.
inline bool isHeldOutScene(const SceneSpec& spec) {
  const int bg = Vocabulary::indexOf(Vocabulary::backgrounds(), spec.background);
  for (const auto& o : spec.objects)
    if (isHeldOutTriple(Vocabulary::indexOf(Vocabulary::colours(), o.colour),
                        Vocabulary::indexOf(Vocabulary::shapes(), o.shape), bg))
      return true;
  return false;
}

}  // namespace ns
