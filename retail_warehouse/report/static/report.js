// The page's behaviour: the store selector, the table of contents, charts drawn when their
// store is first shown, and the month selectors that swap a chart's figure and reading.
(function () {
  const config = {responsive: true, displaylogo: false};

  function render(section) {
    if (section.dataset.rendered) return;
    section.querySelectorAll('script.figure').forEach(function (spec) {
      const figure = JSON.parse(spec.textContent);
      Plotly.newPlot(spec.dataset.chart, figure.data, figure.layout, config);
    });
    section.dataset.rendered = 'true';
  }

  function show(storeId) {
    const sections = document.querySelectorAll('section.store');
    let shown = null;
    sections.forEach(function (section) {
      const match = section.dataset.store === storeId;
      section.hidden = !match;
      if (match) shown = section;
    });
    if (!shown) { shown = sections[0]; shown.hidden = false; }
    document.querySelectorAll('nav.stores button').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.dataset.store === shown.dataset.store));
    });
    render(shown);
  }

  document.querySelectorAll('nav.stores button').forEach(function (button) {
    button.addEventListener('click', function () {
      history.replaceState(null, '', '#' + button.dataset.store);
      show(button.dataset.store);
    });
  });

  document.querySelectorAll('nav.toc a').forEach(function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      document.getElementById(link.dataset.target).scrollIntoView();
    });
  });

  document.querySelectorAll('select.variant').forEach(function (select) {
    const chartId = select.dataset.chart;
    const variants = JSON.parse(
      document.querySelector('script.variants[data-chart="' + chartId + '"]').textContent);
    select.addEventListener('change', function () {
      const variant = variants[select.selectedIndex];
      Plotly.react(chartId, variant.figure.data, variant.figure.layout, config);
      document.querySelector('p.reading[data-chart="' + chartId + '"]').textContent =
        variant.reading;
    });
  });

  // A link to another store's page (#ecommerce) switches to it.
  window.addEventListener('hashchange', function () {
    show(decodeURIComponent(location.hash.slice(1)));
  });

  show(decodeURIComponent(location.hash.slice(1)));
})();
