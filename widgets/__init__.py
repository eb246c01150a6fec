"""Qt and pyqtgraph views: candle, volume and axis items, and the chart widget.

Views draw what a model gives them; they never query the store or import `app` or `data`.
"""
