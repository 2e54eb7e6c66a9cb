#include "ui/widgets/error_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace ns::ui {

ErrorBanner::ErrorBanner(QWidget* parent) : QFrame(parent) {
  setObjectName(QStringLiteral("errorBanner"));
  setFrameShape(QFrame::StyledPanel);
  setStyleSheet(QStringLiteral("#errorBanner { background: #5c1f1f; border: 1px solid #a33; border-radius: 3px; }"
                               "#errorBanner QLabel { color: #fdd; }"));
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(8, 4, 4, 4);
  m_label = new QLabel(this);
  m_label->setWordWrap(true);
  m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_close = new QToolButton(this);
  m_close->setText(QStringLiteral("✕"));
  m_close->setToolTip(tr("Dismiss"));
  m_close->setAutoRaise(true);
  layout->addWidget(m_label, 1);
  layout->addWidget(m_close);
  connect(m_close, &QToolButton::clicked, this, &ErrorBanner::dismiss);
  hide();
}

void ErrorBanner::showError(const QString& message) {
  m_message = message;
  ++m_count;
  m_label->setText(m_count > 1 ? tr("%1  (%2 errors)").arg(message).arg(m_count) : message);
  show();
}

void ErrorBanner::dismiss() {
  m_count = 0;
  m_message.clear();
  hide();
  emit dismissed();
}

}  // namespace ns::ui
