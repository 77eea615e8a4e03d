// tgscope: the network page's graph, drawn in the browser by Cytoscape.js (vendored, served
// by the server like this file: the Content-Security-Policy allows scripts from the server
// only, and no inline script or style).
//
// It reads the network from the API URL in #network-graph's data-graph-url (the JSON of
// /api/v1/network with the page's filters: the same as the JSON download), draws every node
// and edge, sizes the nodes by the measure chosen in #network-size (changed without reloading),
// and opens a channel's page when its node is clicked (a channel known only by a mention has
// no page: its name is shown instead). When drawn, it sets data-nodes-drawn and
// data-edges-drawn to what the library holds; Content-Security-Policy refusals on the page are
// counted in data-csp-violations (the browser test checks both).
'use strict';

(function () {
  const graph = document.getElementById('network-graph');
  if (!graph || typeof cytoscape !== 'function') {
    return;
  }
  let violations = 0;
  graph.dataset.cspViolations = '0';
  document.addEventListener('securitypolicyviolation', function () {
    violations += 1;
    graph.dataset.cspViolations = String(violations);
  });
  const figure = document.getElementById('network-figure');
  const status = document.getElementById('network-status');
  const selected = document.getElementById('network-selected');
  const sizeChoice = document.getElementById('network-size');
  if (figure) {
    figure.hidden = false;
  }
  const say = function (text) {
    if (status) {
      status.textContent = text;
    }
  };

  // Cytoscape adds a <style> element giving its container `position: relative` unless an
  // element with this id exists. The policy refuses inline styles, and style.css gives the
  // container that position already, so a marker stands in for the element.
  const MARKER = '__________cytoscape_stylesheet';
  if (!document.getElementById(MARKER)) {
    const marker = document.createElement('meta');
    marker.id = MARKER;
    document.head.appendChild(marker);
  }

  // Colours from the style sheet (light or dark), with the light ones as fallbacks.
  const css = getComputedStyle(document.documentElement);
  const colour = function (name, fallback) {
    const value = css.getPropertyValue(name).trim();
    return value || fallback;
  };
  const KINDS = {
    forward: colour('--edge-forward', '#2a5d8f'),
    mention: colour('--edge-mention', '#1e7b3a'),
    copy: colour('--edge-copy', '#c26a00'),
    link: colour('--edge-link', '#7b4fa6'),
    coordination: colour('--edge-coordination', '#b3261e'),
    hashtag: colour('--edge-hashtag', '#5f6368'),
  };
  const NODE = colour('--node', '#2a5d8f');
  const REFERENCED = colour('--node-referenced', '#9aa0a6');
  const TEXT = getComputedStyle(document.body).color || '#1d1f21';
  const ACCENT = colour('--bar-hover', '#e07b00');

  // A channel's page: by username when it looks like one (as the server names channels),
  // else by archive id; a tag's page; none for `@name` (known only by a mention).
  const USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
  const pageOf = function (node) {
    const id = String(node.id);
    if (id.startsWith('@')) {
      return null;
    }
    if (id.startsWith('#')) {
      return '/hashtags/' + encodeURIComponent(id.slice(1));
    }
    const username = node.username;
    const key = typeof username === 'string' && USERNAME.test(username) ? username : id;
    return '/channels/' + encodeURIComponent(key);
  };

  const MEASURES = ['pagerank', 'in_weight', 'out_weight', 'posts'];
  const measureOf = function (node, measure) {
    const value = Number(node[measure]);
    return Number.isFinite(value) && value > 0 ? value : 0;
  };

  // Node sizes from 12 to 60 pixels, by the square root of the measure (area follows it).
  const applySize = function (cy, measure) {
    const nodes = cy.nodes();
    let max = 0;
    nodes.forEach(function (n) {
      max = Math.max(max, n.data('m')[measure] || 0);
    });
    cy.batch(function () {
      nodes.forEach(function (n) {
        const value = n.data('m')[measure] || 0;
        n.data('size', max > 0 ? 12 + 48 * Math.sqrt(value / max) : 16);
      });
    });
    graph.dataset.size = measure;
  };

  const draw = function (doc) {
    const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
    const edges = Array.isArray(doc.edges) ? doc.edges : [];
    const elements = [];
    // Start on a spiral (the force-directed layout then moves them), so a drawing of the same
    // network is the same every time.
    nodes.forEach(function (n, i) {
      const m = {};
      MEASURES.forEach(function (k) {
        m[k] = measureOf(n, k);
      });
      const angle = i * 2.399963;
      const radius = 20 * Math.sqrt(i + 1);
      elements.push({
        group: 'nodes',
        data: {
          id: String(n.id),
          label: String(n.label || n.id),
          href: pageOf(n),
          referenced: n.archived === false,
          m: m,
          size: 16,
        },
        position: { x: radius * Math.cos(angle), y: radius * Math.sin(angle) },
      });
    });
    edges.forEach(function (e, i) {
      const weight = Number(e.weight) || 1;
      elements.push({
        group: 'edges',
        data: {
          id: 'e' + i,
          source: String(e.source),
          target: String(e.target),
          kind: String(e.kind),
          directed: e.directed === true,
          weight: weight,
          width: Math.min(8, 1 + Math.log2(Math.max(1, weight))),
        },
      });
    });
    const style = [
      {
        selector: 'node',
        style: {
          width: 'data(size)',
          height: 'data(size)',
          'background-color': NODE,
          label: 'data(label)',
          color: TEXT,
          'font-size': 10,
          'text-valign': 'bottom',
          'text-margin-y': 2,
          'text-wrap': 'ellipsis',
          'text-max-width': '140px',
          'min-zoomed-font-size': 7,
        },
      },
      { selector: 'node[?referenced]', style: { 'background-color': REFERENCED } },
      {
        selector: 'node:selected',
        style: { 'border-width': 3, 'border-color': ACCENT },
      },
      {
        selector: 'edge',
        style: {
          width: 'data(width)',
          'curve-style': 'bezier',
          opacity: 0.75,
          'line-color': KINDS.hashtag,
        },
      },
      {
        selector: 'edge[?directed]',
        style: { 'target-arrow-shape': 'triangle', 'arrow-scale': 0.8 },
      },
    ];
    Object.keys(KINDS).forEach(function (kind) {
      style.push({
        selector: 'edge[kind = "' + kind + '"]',
        style: { 'line-color': KINDS[kind], 'target-arrow-color': KINDS[kind] },
      });
    });
    const cy = cytoscape({
      container: graph,
      elements: elements,
      style: style,
      layout: { name: 'preset' },
      minZoom: 0.05,
      maxZoom: 6,
    });
    applySize(cy, sizeChoice ? sizeChoice.value : graph.dataset.size || 'pagerank');
    if (sizeChoice) {
      sizeChoice.addEventListener('change', function () {
        applySize(cy, sizeChoice.value);
      });
    }
    cy.on('tap', 'node', function (event) {
      const d = event.target.data();
      if (d.href) {
        window.location.assign(d.href);
      } else if (selected) {
        selected.textContent =
          d.label + ' is known only by name: the archive holds none of its posts.';
      }
    });
    cy.on('mouseover', 'node', function (event) {
      const d = event.target.data();
      graph.classList.add('pointing');
      if (selected) {
        const measure = graph.dataset.size || 'pagerank';
        const value = d.m[measure] || 0;
        selected.textContent =
          d.label + ' · ' + measure + ' ' + (Number.isInteger(value) ? value : value.toFixed(4));
      }
    });
    cy.on('mouseout', 'node', function () {
      graph.classList.remove('pointing');
    });
    const finish = function () {
      cy.fit(undefined, 20);
      graph.dataset.nodesDrawn = String(cy.nodes().length);
      graph.dataset.edgesDrawn = String(cy.edges().length);
      say(
        cy.nodes().length === 0
          ? 'Nothing to draw: no nodes.'
          : 'Drawn: ' + cy.nodes().length + ' nodes, ' + cy.edges().length + ' edges.'
      );
    };
    // The force-directed layout for networks a browser lays out quickly; rings by size beyond.
    const layout =
      nodes.length <= 800
        ? cy.layout({
            name: 'cose',
            animate: false,
            randomize: false,
            fit: true,
            padding: 20,
            nodeRepulsion: function () {
              return 9000;
            },
            idealEdgeLength: function () {
              return 70;
            },
            numIter: 1500,
          })
        : cy.layout({
            name: 'concentric',
            animate: false,
            fit: true,
            padding: 20,
            concentric: function (node) {
              return node.data('size');
            },
            levelWidth: function () {
              return 8;
            },
          });
    layout.one('layoutstop', finish);
    layout.run();
  };

  const url = graph.dataset.graphUrl;
  say('Drawing the network…');
  fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (response) {
      if (response.ok) {
        return response.json();
      }
      return response.json().then(
        function (problem) {
          throw new Error(problem.detail || response.statusText);
        },
        function () {
          throw new Error(response.status + ' ' + response.statusText);
        }
      );
    })
    .then(draw)
    .catch(function (error) {
      graph.dataset.drawError = String(error.message || error);
      say('The network could not be drawn: ' + (error.message || error));
    });
})();
