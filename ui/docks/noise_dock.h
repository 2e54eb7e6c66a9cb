#pragma once
// NoiseDock: the noise recipe of the document (random | inverted | warped | FreeNoise, degradation
// γ, FreeNoise window/stride) and the noise inspector (mean, std and lag-1 autocorrelation of the
// current noise field, computed on the model thread and handed in through setStats). Like the
// properties dock it holds no document state: MainWindow fills it and turns edited() into commands.
// UI thread only.

#include <QDockWidget>

#include "core/plan/project.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace ns::ui {

struct NoiseValues {
  NoiseKind recipe = NoiseKind::Random;
  double degradation = 0.0;  // γ: share of fresh noise mixed into warped noise
  int window = 16;           // FreeNoise window (frames)
  int stride = 4;            // FreeNoise stride (frames)
  bool operator==(const NoiseValues& o) const {
    return recipe == o.recipe && degradation == o.degradation && window == o.window && stride == o.stride;
  }
};

struct NoiseStatsView {
  double mean = 0, std = 0, lag1 = 0;  // lag-1 autocorrelation (mean of x and y neighbours)
};

class NoiseDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit NoiseDock(QWidget* parent = nullptr);

  void setValues(const NoiseValues& v);  // no edited() emitted
  NoiseValues values() const;
  void setStats(const NoiseStatsView& s);
  void clearStats(const QString& why);
  QString statsText() const;
  QPushButton* inspectButton() const { return m_inspect; }

 signals:
  void edited(QString field);
  void inspectRequested();

 private:
  void updateEnabled();
  QComboBox* m_recipe = nullptr;
  QDoubleSpinBox* m_degradation = nullptr;
  QSpinBox* m_window = nullptr;
  QSpinBox* m_stride = nullptr;
  QLabel* m_stats = nullptr;
  QPushButton* m_inspect = nullptr;
  bool m_filling = false;
};

}  // namespace ns::ui
